import sys
from pathlib import Path

import pytest

from flows import Library, load_library

# The suite runs with --import-mode=importlib, so test folders are not on sys.path;
# this folder's helper (flows_chat.py) is imported by name.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()
