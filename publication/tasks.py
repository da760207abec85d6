"""The scheduled release (PUBLIC_RELEASE_SCHEDULE, run by beat)."""

from celery import shared_task

from .services import release_publish


@shared_task(name="publication.publish_release")
def publish_release():
    release = release_publish()
    return release.number
