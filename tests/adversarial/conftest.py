"""The adversarial suite: what an attacker or a fault can do to the whole flow.

It runs on the end-to-end rigs (tests/e2e/chat_stack.py, imagine_stack.py): the real Lambda
handlers, moto SQS and KMS, a real PostgreSQL, loopback fakes of Discord and the providers.
"""

from tests.e2e.chat_stack import chat, chat_servers  # noqa: F401  (fixtures, re-exported)
from tests.e2e.imagine_stack import imagine  # noqa: F401  (fixture, re-exported)
