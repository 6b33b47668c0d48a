"""Deliver queued updates to the webhook, one at a time and in order."""

import asyncio

import httpx

from .state import BotApiState, WebhookDelivery
from .updates import now

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def deliver_updates(
    state: BotApiState, client: httpx.AsyncClient, *, attempts: int, backoff: float
) -> None:
    """POST each update to the webhook while one is set; run until cancelled."""
    while True:
        webhook, update = await state.changes.wait_async(state.next_webhook_job, None)
        delivered = await _post(state, client, webhook, update, attempts=attempts, backoff=backoff)
        state.finish_webhook_job(update, delivered=delivered)


async def _post(
    state: BotApiState,
    client: httpx.AsyncClient,
    webhook: dict,
    update: dict,
    *,
    attempts: int,
    backoff: float,
) -> bool:
    headers = {SECRET_HEADER: webhook["secret_token"]} if webhook["secret_token"] else {}
    for attempt in range(1, attempts + 1):
        try:
            response = await client.post(webhook["url"], json=update, headers=headers)
        except httpx.HTTPError as exc:
            delivery = WebhookDelivery(
                update["update_id"], webhook["url"], attempt, error=f"{type(exc).__name__}: {exc}"
            )
        else:
            delivery = WebhookDelivery(
                update["update_id"], webhook["url"], attempt, status=response.status_code
            )
        state.record_delivery(delivery, now())
        if delivery.ok:
            return True
        if state.webhook is None or state.webhook["url"] != webhook["url"]:
            return False
        if attempt < attempts:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
    return False
