"""Writing the confirmation mail, and the two ways of sending it.

The confirmation mail goes to an address nobody has confirmed yet, so it
repeats nothing typed into the form: whoever posted it could otherwise make
us deliver their words to anyone. It greets without a name and addresses
the bare address. Headers are built with the `email` package, never by
pasting strings: it refuses CR and LF in any header.

Sending distinguishes three kinds of failure, because the outbox treats them
differently:
- TransportUnavailable: the server could not be reached or is not taking
  mail now; nothing was handed over. Retry everything later.
- MessageRejected: the server answered this message with an error code;
  nothing was handed over. A 4xx means "try later"; a 5xx (`permanent`)
  means "never": the mail is not tried again.
- DeliveryUncertain: the connection broke after the message was handed
  over; the server may have accepted it. Never retry automatically.
"""

import datetime
import email.message
import email.policy
import email.utils
import os
import secrets
import smtplib
import ssl
import sys

from email_validator import EmailNotValidError, validate_email

from newsletter.texts import SITE_NAME, TEXTS

# Header lines may be up to 998 characters long. Folding them at 78 would
# make the package wrap List-Unsubscribe's long URL in encoded words, which
# mail clients do not decode in that header; so messages are serialized
# with this policy, once the body has been encoded (quoted-printable lines
# must stay within 76 characters).
_SERIALIZE = email.policy.SMTP.clone(max_line_length=998)
_SERIALIZE_UTF8 = email.policy.SMTPUTF8.clone(max_line_length=998)


class TransportUnavailable(Exception):
    pass


class MessageRejected(Exception):
    def __init__(self, message, permanent=False):
        super().__init__(message)
        self.permanent = permanent


class DeliveryUncertain(Exception):
    pass


def sending_address(address):
    """The address in the form SMTP needs: IDNA domain, and Unicode only if unavoidable."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address
    return checked.ascii_email or checked.normalized


def mail_domain(mail_from):
    """The domain of the sender's address, for Message-IDs."""
    return email.utils.parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def compose_confirmation(
    *, mail_from, to, lang, message_id, confirm_url, unsubscribe_url, site_url, days
):
    text = TEXTS[lang]
    recipient = sending_address(to)
    international = not recipient.isascii()
    # Built with 76-character lines, quoted-printable's limit for the body...
    message = email.message.EmailMessage(
        policy=(email.policy.SMTPUTF8 if international else email.policy.SMTP).clone(
            max_line_length=76
        )
    )
    message["From"] = mail_from
    message["To"] = recipient  # no display name: see the module's docstring
    message["Subject"] = text["mail_subject"]
    message["Date"] = email.utils.format_datetime(datetime.datetime.now(datetime.UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    # RFC 2369 and RFC 8058: mail clients show an "unsubscribe" button and
    # POST `List-Unsubscribe=One-Click` to this address.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    greeting = text["mail_greeting"]
    body = text["mail_body"].format(
        site_name=SITE_NAME,
        site_url=site_url + "/",
        days=_days(days),
        confirm_url=confirm_url,
        unsubscribe_url=unsubscribe_url,
    )
    # Quoted-printable keeps the message 7-bit, for servers without 8BITMIME.
    message.set_content(f"{greeting}\n\n{body}", cte="quoted-printable")
    message["Content-Language"] = lang  # after set_content, which resets Content-* headers
    # ...and serialized with long header lines (see _SERIALIZE).
    message.policy = _SERIALIZE_UTF8 if international else _SERIALIZE
    return message


def _days(days):
    return int(days) if float(days).is_integer() else round(days, 2)


class _TrackingMixin:
    """Notes whether the DATA command was reached, to tell a refusal from a lost answer."""

    data_started = False

    def data(self, msg):
        self.data_started = True
        return super().data(msg)


class _SMTP(_TrackingMixin, smtplib.SMTP):
    pass


class _SMTPSSL(_TrackingMixin, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """One SMTP connection, opened with `open()` and reused for several messages."""

    def __init__(self, settings, mail_from):
        self._settings = settings
        self._from = mail_from
        self._smtp = None

    def open(self):
        settings = self._settings
        try:
            if settings.security == "ssl":
                smtp = _SMTPSSL(
                    settings.host,
                    settings.port,
                    timeout=settings.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = _SMTP(settings.host, settings.port, timeout=settings.timeout)
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password)
        except (smtplib.SMTPException, OSError) as error:
            raise TransportUnavailable(_describe(error)) from error
        self._smtp = smtp

    def send(self, message, links=None):
        if self._smtp is None:
            self.open()
        smtp = self._smtp
        smtp.data_started = False
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _reply in error.recipients.values()]
            raise MessageRejected(_describe(error), permanent=_permanent(*codes)) from error
        except smtplib.SMTPResponseException as error:  # also SMTPSenderRefused
            # 421: the server is closing the connection, not judging this message.
            if error.smtp_code == 421:
                self.close()
                raise TransportUnavailable(_describe(error)) from error
            raise MessageRejected(
                _describe(error), permanent=_permanent(error.smtp_code)
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise MessageRejected(_describe(error)) from error
        except (smtplib.SMTPException, OSError) as error:
            data_started = smtp.data_started
            self.close()
            if data_started:
                raise DeliveryUncertain(_describe(error)) from error
            raise TransportUnavailable(_describe(error)) from error

    def close(self):
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


class FileSink:
    """Development: each mail becomes an .eml file, and its links are printed.

    Lets a newcomer try the whole flow in a browser without a mail server.
    """

    def __init__(self, folder, out=None):
        self._folder = folder
        self._out = out or sys.stdout

    def open(self):
        os.makedirs(self._folder, exist_ok=True)

    def send(self, message, links=None):
        self.open()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = os.path.join(self._folder, f"{stamp}-{secrets.token_hex(3)}.eml")
        temporary = path + ".tmp"
        with open(temporary, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(temporary, path)
        lines = [f"[newsletter] mail to {message['To']} saved as {path}"]
        lines += [f"  {label}: {url}" for label, url in (links or {}).items()]
        print("\n".join(lines), file=self._out, flush=True)

    def close(self):
        pass


def _permanent(*codes):
    """5xx answers mean the server will never take this message: sending it again is spam."""
    return bool(codes) and all(isinstance(code, int) and 500 <= code <= 599 for code in codes)


def _describe(error):
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return f"{error.smtp_code} {detail}"[:500]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values()
        )[:500]
    return f"{type(error).__name__}: {error}"[:500]
