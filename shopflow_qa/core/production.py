"""What counts as production: the `[safety]` table of the environment files, and the one
question every entry point asks — does this URL reach production?

Production is sensitive by default (pytest-selenium's `sensitive_url` idea, taken further):
a production domain covers itself and every subdomain (`eu.api.shopflow.io`), except hosts
the repository's own `data/environments.toml` names as not production (staging's). IP
addresses and networks of production can be listed too; they are matched against IP-literal
URLs in any notation and, when listed, against what a URL's host name resolves to. Hosts are
compared after the normalisation the HTTP client and the browser apply (shopflow_qa/core/hosts.py),
so no spelling of a production host gets past the comparison.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from shopflow_qa.core.hosts import Host, IPAddress, canonical_name, display, embedded_ipv4, read_hosts

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ProductionMatch:
    """One URL of an environment that reaches production, and why (for a one-line message)."""

    role: str
    url: str
    why: str

    def describe(self) -> str:
        return f"{self.role} URL {display(self.url)} reaches {self.why}"


@dataclass(frozen=True)
class ProductionTargets:
    """Production's domains (each with every subdomain), exact hosts that are not production,
    and production's IP networks; all in canonical form (see `from_config`)."""

    domains: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(
        cls, domains: Iterable[str] = (), exceptions: Iterable[str] = (), networks: Iterable[str] = ()
    ) -> ProductionTargets:
        """From the `[safety]` lists; ValueError names the first entry that is neither a host
        name nor an IP address/network. An IP address among the domains counts as a network."""
        names, nets = [], [parse_network(n) for n in networks]
        for entry in domains:
            try:
                nets.append(parse_network(entry))
            except ValueError:
                names.append(canonical_name(entry))
        return cls(
            tuple(dict.fromkeys(names)), tuple(dict.fromkeys(canonical_name(e) for e in exceptions)), tuple(dict.fromkeys(nets))
        )

    def merged(self, other: ProductionTargets) -> ProductionTargets:
        return ProductionTargets(
            tuple(dict.fromkeys(self.domains + other.domains)),
            tuple(dict.fromkeys(self.exceptions + other.exceptions)),
            tuple(dict.fromkeys(self.networks + other.networks)),
        )

    def match(self, url: str) -> str | None:
        """Why `url` reaches production ("api.shopflow.io, under production domain shopflow.io"), or None.

        Every host any client could read from `url` is checked (shopflow_qa/core/hosts.py); one
        production reading is enough. A host no normalisation can read fails closed: it is
        treated as production rather than guessed about.
        """
        readings, unreadable = read_hosts(url)
        hosts = sorted(readings, key=str)
        for host in hosts:
            why = self.match_host(host)
            if why:
                return why
        if unreadable:
            return f"{display(unreadable[0])}, a host that cannot be normalised (treated as production)"
        return self._match_resolved([h for h in hosts if isinstance(h, str)])

    def match_host(self, host: Host) -> str | None:
        """Why one canonical host is production, by name or address (no name resolution).

        An exception exempts its host from the domains above it, never from itself listed as
        a production domain (an env file that lists a staging host as production wins)."""
        if isinstance(host, str):
            labels = host.split(".")
            for domain in self.domains:
                parts = domain.split(".")
                if labels[-len(parts) :] == parts and not (host in self.exceptions and host != domain):
                    return f"{host}, under production domain {domain}" if host != domain else f"{host}, a production domain"
            return None
        network = self._network_of(host)
        return f"{host}, in production network {network}" if network else None

    def _network_of(self, address: IPAddress) -> IPNetwork | None:
        for candidate in (address, *embedded_ipv4(address)):
            for network in self.networks:
                if candidate.version == network.version and candidate in network:
                    return network
        return None

    def _match_resolved(self, names: list[str]) -> str | None:
        """With production networks listed, a name that resolves into one is production too
        (an alias, an /etc/hosts entry). Resolution is bounded; a name that does not resolve
        reaches nothing."""
        if not self.networks or not names:
            return None
        for name, addresses in resolve_all(names).items():
            for address in addresses:
                network = self._network_of(address)
                if network:
                    return f"{name}, which resolves to {address} in production network {network}"
        return None


def parse_network(text: str) -> IPNetwork:
    """An IP address or a CIDR network (`203.0.113.0/24`, `2001:db8::/32`); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an IP address or network")
    try:
        return ipaddress.ip_network(text.strip().strip("[]"), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address or network (CIDR)") from None


def resolve_all(names: Iterable[str], timeout: float = RESOLVE_TIMEOUT_S) -> dict[str, list[IPAddress]]:
    """The addresses each name resolves to, all looked up at once within `timeout`
    (getaddrinfo has no timeout of its own); names that fail or time out map to []."""
    names = list(dict.fromkeys(names))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(names)))
    futures = {name: pool.submit(_addresses, name) for name in names}
    done, _ = concurrent.futures.wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False)
    return {name: future.result() if future in done else [] for name, future in futures.items()}


def _addresses(name: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(str(info[4][0]).partition("%")[0]))
        except ValueError:
            continue
    return found
