"""Finding 15: the local stack's queues behave like the deployed ones."""

from __future__ import annotations

from tests.deploy.template import load
from tzurot.dev import stack
from tzurot.jobs.idempotency import LEASE


def test_dev_queues_mirror_the_templates_timings():
    template = load()
    resources = template["Resources"]
    for name in ("GenerateQueue", "ImageQueue"):
        properties = resources[name]["Properties"]
        assert int(properties["VisibilityTimeout"]) == stack.VISIBILITY_TIMEOUT_SECONDS
        assert properties["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "JobMaxReceives"}
    assert int(template["Parameters"]["JobMaxReceives"]["Default"]) == stack.MAX_RECEIVES
    # A redelivery after the visibility timeout finds a dead attempt's lease expired.
    assert LEASE.total_seconds() < stack.VISIBILITY_TIMEOUT_SECONDS
