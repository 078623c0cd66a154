"""E-mail backends that misbehave on purpose: the edge of the world for the retry tests."""

from anymail.exceptions import AnymailRecipientsRefused
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakyBackend(LocmemBackend):
    """Fails (as a provider outage would) while `failures_left` > 0, then delivers to the outbox."""

    failures_left = 0
    attempts = 0

    @classmethod
    def reset(cls, failures=0):
        cls.failures_left = failures
        cls.attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            recipients = ", ".join(r for m in messages for r in m.recipients())
            raise ConnectionError(f"Provider unreachable while sending to {recipients}")
        return super().send_messages(messages)


class RefusingBackend(LocmemBackend):
    """The provider refuses the recipient: no retry can help."""

    def send_messages(self, messages):
        raise AnymailRecipientsRefused("Recipient address rejected: " + ", ".join(messages[0].recipients()))
