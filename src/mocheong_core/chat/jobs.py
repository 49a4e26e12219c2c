"""The chat's side of tracked jobs: a finished job of a page is announced in its room."""

from __future__ import annotations

from mocheong_core.chat.model import room_of
from mocheong_core.chat.ports import StreamBroker
from mocheong_core.chat.stream import EventDraft, EventKind
from mocheong_core.jobs.model import Job


class JobNotices:
    """``JobEvents`` as ``job-completed`` events in the page's room, so the couple need not
    poll; a job of no page is announced nowhere."""

    def __init__(self, broker: StreamBroker) -> None:
        self._broker = broker

    async def job_finished(self, job: Job) -> None:
        if job.page_id is not None:
            notice = {"job_id": job.id, "kind": job.kind, "status": job.status.value}
            await self._broker.append(
                room_of(job.page_id), EventDraft(EventKind.JOB_COMPLETED, notice)
            )
