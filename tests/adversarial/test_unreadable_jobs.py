"""Finding 13, worker side: a body the worker cannot read as a job (what NaN used to become)
is retried, and on its last receive its user still gets an answer before it goes to the DLQ."""

from __future__ import annotations

import json

from tzurot.jobs.worker import UNREADABLE_JOB


def test_an_unreadable_job_is_answered_on_its_last_receive(chat):
    payload = chat.interact("ada", "hello")
    [message] = chat.receive()
    body = json.loads(message["Body"])
    body["options"]["message"] = None  # what NaN became in the job before the endpoint refused it
    chat.sqs.delete_message(QueueUrl=chat.queue_url, ReceiptHandle=message["ReceiptHandle"])
    chat.sqs.send_message(QueueUrl=chat.queue_url, MessageBody=json.dumps(body))

    for receive in (1, 2, 3):
        messages = chat.receive()
        assert messages[0]["Attributes"]["ApproximateReceiveCount"] == str(receive)
        result = chat.deliver(messages)
        assert result == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
        calls = chat.calls(payload["token"])
        if receive < 3:
            assert calls == []
    [edit] = calls
    assert edit.method == "PATCH"
    assert edit.json["content"] == UNREADABLE_JOB
