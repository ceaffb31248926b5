"""The payment providers this installation offers, by name, built from the settings.

PAYMENT_PROVIDERS names them in the order `/buy` offers them (`sandbox`, the embedded default;
`yookassa`; `stars`). Each process builds one registry at start-up and passes it down (the bot's
dispatcher and the web app hold it); a provider is looked up by the name in a webhook's URL or
a button, and a name that is not enabled is `UnknownProviderError`, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from teamtasks.billing.base import Notification, PaymentState, Provider
from teamtasks.billing.sandbox import SandboxProvider
from teamtasks.billing.stars import StarsProvider
from teamtasks.billing.yookassa import YooKassaProvider
from teamtasks.config import Settings
from teamtasks.models.enums import PaymentProvider

Builder = Callable[[Settings], Provider]

BUILDERS: Mapping[PaymentProvider, Builder] = {
    PaymentProvider.SANDBOX: SandboxProvider.from_settings,
    PaymentProvider.YOOKASSA: YooKassaProvider.from_settings,
    PaymentProvider.STARS: StarsProvider.from_settings,
}
"""How each provider is built from the settings. Stars needs no bot to start a payment (the
bot sends the invoice itself), so it is built here too."""


class UnknownProviderError(LookupError):
    """No provider of that name is enabled here."""


@runtime_checkable
class ConfirmingProvider(Protocol):
    """A provider whose notifications carry no state (not signed): the state fetched back from
    it must confirm what the notification claims before anything is settled."""

    def confirms(self, notification: Notification, state: PaymentState) -> bool: ...


@dataclass(frozen=True)
class Registry:
    enabled: tuple[PaymentProvider, ...]
    """PAYMENT_PROVIDERS, in the order they are offered."""
    providers: Mapping[PaymentProvider, Provider]

    @property
    def names(self) -> tuple[PaymentProvider, ...]:
        """The providers built and enabled, in the order they are offered."""
        return tuple(name for name in self.enabled if name in self.providers)

    @property
    def fetchable(self) -> tuple[PaymentProvider, ...]:
        """The enabled providers whose payments can be read back (reconciled)."""
        return tuple(name for name in self.names if self.providers[name].can_fetch)

    def get(self, name: str) -> Provider:
        """The enabled provider of that name (as in a URL or a button)."""
        try:
            provider = self.providers.get(PaymentProvider(name))
        except ValueError:
            provider = None
        if provider is None:
            raise UnknownProviderError(name)
        return provider

    def with_provider(self, provider: Provider) -> Registry:
        """This registry with `provider` added (or replaced) when PAYMENT_PROVIDERS enables it."""
        if provider.name not in self.enabled:
            return self
        return Registry(self.enabled, {**self.providers, provider.name: provider})


def create_registry(settings: Settings) -> Registry:
    """The providers PAYMENT_PROVIDERS enables that can be built from the settings alone."""
    enabled = tuple(PaymentProvider(name) for name in settings.enabled_payment_providers)
    providers = {name: BUILDERS[name](settings) for name in enabled if name in BUILDERS}
    return Registry(enabled, providers)
