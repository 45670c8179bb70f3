"""One settings object for the whole service, read from ``LEADFLOW_*`` variables."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may change without touching the code."""

    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{Path('var') / 'leadflow.db'}",
        description="sqlite:///path or postgresql://user:pass@host:port/db; the driver is ours.",
    )
    default_region: str = Field(default="US", description="Region for numbers without +country.")
    embedded_worker: bool = Field(
        default=True, description="Start a worker process beside the API in `serve`."
    )
    worker_wake_socket: str = Field(
        default="",
        description="Set by `serve` for its API processes: the Unix socket of the worker it "
        "started, which they wake when they commit work someone waits on.",
    )
    worker_poll_seconds: float = 1.0
    import_dir: str = Field(
        default=str(Path("var") / "imports"),
        description="Where CSV files uploaded in the web app wait for the worker to import them "
        "(each is deleted once imported); the API and worker processes must share it.",
    )
    db_pool_size: int = 10
    allow_private_urls: bool = Field(
        default=False, description="Let user-configured outbound URLs reach private networks."
    )
    allow_loopback_urls: bool = Field(
        default=False,
        description="Let user-configured outbound URLs reach this machine (development and "
        "tests only: anything listening on localhost becomes reachable by your users).",
    )
    public_url: str = Field(default="", description="Base URL shown in examples; empty: request's.")
    token_cache_seconds: float = Field(
        default=5.0, description="How long a lead token's owner is cached per process."
    )
    auth_cache_seconds: float = Field(
        default=30.0, description="How long a verified API key is trusted before it is re-read."
    )

    worker_batch_size: int = Field(default=200, description="Due leads claimed per round.")
    worker_lease_seconds: float = Field(
        default=60.0,
        description="How long a claim may stay uncommitted before PostgreSQL ends it "
        "and another worker picks the leads up.",
    )

    # Channels: the simulated ones need no account anywhere and are the default.
    voice_provider: Literal["simulated", "twilio"] = "simulated"
    sms_provider: Literal["simulated", "twilio"] = "simulated"
    email_provider: Literal["simulated", "smtp"] = "simulated"
    simulated_call_outcome: Literal["completed", "no-answer", "busy", "failed"] = "completed"
    simulated_call_seconds: int = Field(default=45, description="Duration of answered calls.")
    sms_daily_cap_per_contact: int = Field(
        default=0, ge=0, description="Texts one number may get per day (company zone); 0: no cap."
    )
    sms_monthly_cap_per_contact: int = Field(
        default=0, ge=0, description="Texts one number may get per calendar month; 0: no cap."
    )
    simulated_sms_outcome: Literal["delivered", "undelivered", "failed"] = "delivered"
    twilio_api_url: str = Field(
        default="https://api.twilio.com",
        description="Base URL of a Twilio-compatible REST API (Twilio, SignalWire ...).",
    )
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    default_caller_id: str = Field(
        default="", description="From number for calls when the company has no voice number."
    )
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_tls: bool = False
    email_from: str = "leadflow@localhost"

    # The web app.
    session_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Signs the web app's session cookies. Empty: a random secret is created "
        "once in var/session-secret and reused (give every process the same value when they "
        "do not share that directory).",
    )
    session_cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie over HTTPS only (browsers accept it on "
        "http://localhost too); set false only behind plain HTTP on another host.",
    )
    session_max_age_seconds: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long a sign-in lasts."
    )
    login_failure_seconds: float = Field(
        default=1.0, ge=0, description="Every failed sign-in takes at least this long."
    )

    # Hostile input: what one request or connection may cost (docs/security/requests.md).
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body, counted while it streams in; over it: 413. Routes "
        "that need more are listed in kit.body_limit.ROUTE_BODY_LIMITS.",
    )
    max_json_depth: int = Field(
        default=32, ge=2, description="Deepest nesting of objects and lists in a JSON body: 422."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma list of addresses or CIDRs whose X-Forwarded-For/-Proto is believed "
        "(your load balancer). Empty: proxy headers are ignored, the peer is the client.",
    )
    keepalive_timeout_seconds: int = Field(
        default=5, ge=1, description="An idle kept-alive connection is closed after this."
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A request's headers must arrive within this: else 408."
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A request's whole body must arrive within this: 408."
    )
    max_connections: int = Field(
        default=4096,
        ge=16,
        description="Open connections per API process; more are answered 503 and closed. "
        "Lowered at start to fit the open-file limit (see kit.connections).",
    )

    # Templates users write (schedule SMS, e-mail and webhook bodies, token edits, campaign
    # dynamic keys): checked when saved, enforced while they render, one action failed when
    # broken (docs/security/templates.md).
    template_max_source_chars: int = Field(
        default=10_000, ge=1, description="Longest template that may be saved."
    )
    template_max_output_chars: int = Field(
        default=100_000,
        ge=1,
        description="Longest text a template may render, and longest value it may build.",
    )
    template_max_loop_iterations: int = Field(
        default=10_000, ge=0, description="Loop iterations in one render, all loops together."
    )
    template_max_range: int = Field(default=1_000, ge=0, description="Longest `range(...)`.")
    template_cpu_seconds: float = Field(
        default=0.1, gt=0, description="CPU time one render may take."
    )

    # Sign-in throttle (web app): failures are counted in the database, so the limits hold
    # across every API process; a failure stops counting once it is older than the window.
    sign_in_window_seconds: int = Field(
        default=900, ge=1, description="How long a failed sign-in counts against the limits."
    )
    sign_in_failures_per_account: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins one account (e-mail) may have within the window; more "
        "attempts are answered 429 until the oldest failure leaves it. A success clears them.",
    )
    sign_in_failures_per_address: int = Field(
        default=30,
        ge=1,
        description="Failed sign-ins one client address may have within the window, over "
        "every account it tries.",
    )

    webhook_max_attempts: int = Field(default=8, description="Tries before a delivery fails.")
    webhook_timeout_seconds: float = Field(
        default=10.0,
        description="Seconds a webhook subscription's try or a schedule's webhook action waits to"
        " connect and for each read; its whole answer must end within twice this"
        " (docs/security/outbound.md, What an answer may cost).",
    )
    delivery_transport: Literal["wire", "httpx"] = Field(
        default="wire",
        description=(
            "The transport buyer deliveries, pings and pixels go out on: `wire`, Leadflow's own,"
            " or `httpx`, httpx's, at three to seven times the CPU per request (docs/submission.md,"
            " Delivery transport); kept so that the two can be measured again in turns."
        ),
    )
    delivery_max_answer_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description=(
            "Largest answer body (decoded) the worker reads from a URL a user configured: a"
            " buyer's delivery endpoint, ping URL, OAuth token URL or pixel (on either"
            " transport), a webhook subscription's target, a schedule's webhook action or an AI"
            " qualifier. Past it the connection is closed and the try fails with an error naming"
            " this setting: a delivery is not tried again, a webhook subscription's delivery is"
            " retried like after any transport error (docs/security/outbound.md, What an answer"
            " may cost)."
        ),
    )
    delivery_slots_per_company: int = Field(
        default=32,
        ge=1,
        description=(
            "How many of a worker's 64 delivery slots (deliveries and auctions waiting for"
            " buyers at once), and of its 64 webhook slots, one company's work may hold. A buyer"
            " or webhook target may take its whole timeout on every try: the share keeps a"
            " company whose URL is slow from holding every slot while other companies' leads"
            " wait (docs/security/outbound.md, Slow buyers and webhook targets). A one-company"
            " installation may set 64."
        ),
    )
    webhook_retention_days: int = Field(
        default=30,
        ge=0,
        description="Days a delivered or failed webhook delivery is kept; 0: forever.",
    )

    # Do-not-call lists (docs/dnc.md): files shared by every process, versions in the database.
    dnc_dir: Path = Field(
        default=Path("var") / "dnc",
        description="Directory of the do-not-call list files. Every node must see the same "
        "files (a shared mount, or the same imports copied before they are switched).",
    )
    dnc_refresh_seconds: float = Field(
        default=5.0, ge=0, description="How long a process trusts its view of list versions."
    )
    dnc_federal_max_age_days: int = Field(
        default=31, ge=1, description="Older than this, the federal list is reported stale."
    )
    dnc_list_companies: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(),
        description="Comma list of company ids that may replace or change the shared lists "
        "(federal, state:XX, litigator) through the API and web app; every company's calling "
        "follows them. Empty: only the company of a one-company installation may. The CLI "
        "(`leadflow dnc import`) always may; the internal list is each company's own.",
    )

    @field_validator("dnc_list_companies", mode="before")
    @classmethod
    def _company_ids(cls, value: Any) -> Any:
        """``1,2`` (or ``1 2``) from the environment; a name that is not an id fails at start,
        so a typo never silently leaves the shared lists open or closed."""
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value

    # Operations (docs/operations.md): health, retention, metrics, logs.
    health_heartbeat_stale_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A worker whose last heartbeat (every 5 s) is older than this counts as "
        "gone in /healthz and `leadflow status`.",
    )
    health_max_lag_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long the oldest due lead may wait for its action before /healthz "
        "reports the cadence as degraded.",
    )
    retention_lead_events_days: int = Field(
        default=365,
        ge=0,
        description="Days a lead's timeline entries (lead events) are kept; the lead itself "
        "stays. 0: forever.",
    )
    retention_call_events_days: int = Field(
        default=90,
        ge=0,
        description="Days a call's status history (call events) is kept; the call stays. "
        "0: forever.",
    )
    retention_webhook_attempts_days: int = Field(
        default=14,
        ge=0,
        description="Days each try of a webhook delivery is kept (the delivery itself follows "
        "LEADFLOW_WEBHOOK_RETENTION_DAYS). 0: forever.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per line (time, level, logger, message). Phone "
        "numbers and secrets are redacted in either format.",
    )
    log_level: str = Field(
        default="INFO",
        description="Lowest level Leadflow logs at: DEBUG, INFO, WARNING, ERROR or CRITICAL "
        "(other libraries log INFO and above).",
    )
    metrics_token: SecretStr = Field(
        default=SecretStr(""),
        description="When set, GET /metrics needs `Authorization: Bearer <token>`. Empty: only "
        "clients in LEADFLOW_METRICS_ALLOWED_NETWORKS are answered.",
    )
    metrics_allowed_networks: str = Field(
        default="127.0.0.0/8,::1/128",
        description="Comma list of addresses or CIDRs that may read /metrics without a token "
        "(when no LEADFLOW_METRICS_TOKEN is set); everyone else gets a 404.",
    )
    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="A `leadflow worker` run on its own answers GET /metrics on this port "
        "(same token or networks as the API's); 0: none. Workers that `serve` starts are "
        "counted by the API's /metrics instead.",
    )
    worker_metrics_host: str = Field(
        default="127.0.0.1",
        description="Interface of the worker's /metrics (0.0.0.0 for a Prometheus on another "
        "machine; set LEADFLOW_METRICS_TOKEN then).",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        """A typo fails at start with the setting's name, not as a traceback in each process."""
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Checked at start: a bad entry would otherwise make every scrape a 500."""
        for entry in (part.strip() for part in value.split(",")):
            if entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not an address or CIDR network") from None
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
