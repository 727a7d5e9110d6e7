"""The deployable stack, checked without a Docker engine (CI has none): docker-compose.yml,
Dockerfile and .env.example agree with each other, with the binaries the workspace builds, and
with every setting the worker and the resolver read."""

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
IMAGE = "snapstart-cleaner:local"


def documented(name):
    """Whether .env.example names the setting (set, or commented with an example)."""
    return re.search(rf"^#?\s*{name}=|\b{name}\b", ENV_EXAMPLE, re.M) is not None


def test_the_stack_has_its_services_with_pinned_official_images():
    assert set(SERVICES) == {"postgresql", "temporal", "temporal-ui", "worker", "resolver", "emulator"}
    for name, prefix in [("postgresql", "postgres:"), ("temporal", "temporalio/auto-setup:"), ("temporal-ui", "temporalio/ui:")]:
        image = SERVICES[name]["image"]
        assert image.startswith(prefix) and not image.endswith(":latest"), (name, image)
    assert SERVICES["emulator"]["profiles"] == ["trial"], "the emulator only joins a local trial"


def test_worker_and_resolver_run_binaries_the_dockerfile_builds():
    assert SERVICES["worker"]["build"] == "." and SERVICES["worker"]["image"] == IMAGE
    assert SERVICES["resolver"]["image"] == IMAGE
    built = set(re.findall(r"COPY --from=build /src/target/release/(\S+) (\S+)", DOCKERFILE))
    installed = {dest for _, dest in built}
    bins = {
        re.search(r'\[\[bin\]\]\s*name = "([^"]+)"', (ROOT / crate / "Cargo.toml").read_text()).group(1)
        for crate in ["worker", "resolver"]
    }
    assert {src for src, _ in built} == bins
    assert re.search(r"cargo build --release --locked -p snapstart-worker -p snapstart-resolver", DOCKERFILE)
    for name in ["worker", "resolver"]:
        assert SERVICES[name]["command"][0] in installed, name
    assert SERVICES["worker"]["command"][1:] == ["worker"]


def test_the_image_is_multi_stage_small_and_non_root_with_a_health_check():
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert len(stages) >= 2
    assert "distroless" in stages[-1] or "slim" in stages[-1], stages[-1]
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^HEALTHCHECK .*"/usr/local/bin/snapstart-cleaner-resolver", "--check-health"', DOCKERFILE, re.M)


def test_healthchecks_restart_policies_and_start_order():
    for name in ["postgresql", "temporal", "temporal-ui", "resolver"]:
        assert SERVICES[name]["healthcheck"]["test"], name
    assert SERVICES["worker"]["healthcheck"] == {"disable": True}, "the image's probe is the resolver's"
    for name, service in SERVICES.items():
        assert service["restart"] == "unless-stopped", name
    assert SERVICES["temporal"]["depends_on"]["postgresql"]["condition"] == "service_healthy"
    for name in ["temporal-ui", "worker", "resolver"]:
        assert SERVICES[name]["depends_on"]["temporal"]["condition"] == "service_healthy", name
    assert SERVICES["resolver"]["healthcheck"]["test"] == ["CMD", "/usr/local/bin/snapstart-cleaner-resolver", "--check-health"]


def test_ports_and_the_codec_wiring_match_the_readme():
    ports = {name: service.get("ports", []) for name, service in SERVICES.items()}
    # Temporal's frontend and UI carry no authentication here: loopback only. The resolver is the
    # one process meant to be reached (behind the deployer's TLS proxy).
    assert ports["temporal"] == ["127.0.0.1:7233:7233"] and ports["temporal-ui"] == ["127.0.0.1:8080:8080"]
    assert ports["resolver"] == ["8787:8787"]
    published = [p for name, ps in ports.items() if name not in ("resolver", "emulator") for p in ps]
    assert all(p.startswith("127.0.0.1:") for p in published), published
    ui = SERVICES["temporal-ui"]["environment"]
    assert ui["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert ui["TEMPORAL_CODEC_ENDPOINT"].startswith("${RESOLVER_PUBLIC_URL") and ui["TEMPORAL_CODEC_ENDPOINT"].endswith("}/codec")
    assert SERVICES["resolver"]["environment"]["CODEC_CORS_ORIGINS"] == "http://localhost:8080", "the UI's origin may call /codec"
    assert SERVICES["resolver"]["environment"]["RESOLVER_LISTEN"] == "0.0.0.0:8787"
    assert SERVICES["worker"]["environment"]["METRICS_LISTEN"] == "0.0.0.0:9464" and SERVICES["worker"]["expose"] == ["9464"]
    assert SERVICES["resolver"]["environment"]["METRICS_LISTEN"] == "0.0.0.0:9465" and SERVICES["resolver"]["expose"] == ["9465"]
    readme = (ROOT / "README.md").read_text()
    for promise in ["docker compose up -d --build", "http://localhost:8080", "http://localhost:8787", "--profile trial"]:
        assert promise in readme, promise


def _read_by(crates):
    sources = "".join(p.read_text() for crate in crates for p in (ROOT / crate / "src").rglob("*.rs"))
    return set(re.findall(r'env = "([A-Z_]+)"', sources)) | set(re.findall(r'env::var(?:_os)?\("([A-Z_]+)"\)', sources))


def test_settings_come_from_env_and_every_setting_the_binaries_read_is_documented():
    text = (ROOT / "docker-compose.yml").read_text()
    assert SERVICES["worker"]["env_file"] == [".env"]
    for variable in re.findall(r"\$\{([A-Z_]+)", text):
        assert documented(variable), variable
    assert SERVICES["resolver"]["environment"]["APPROVAL_LINK_SECRET"].startswith("${APPROVAL_LINK_SECRET"), "secrets only in .env, interpolated"
    assert re.search(r"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?", text)
    read = _read_by(["worker", "resolver", "proto", "telemetry", "aws", "scan", "deletion", "notifications"])
    read |= {"APPROVAL_LINK_SECRET", "RUST_LOG", "AWS_ENDPOINT_URL", "TEMPORAL_ADDRESS"}
    assert {"LAMBDA_RPS", "LOG_FORMAT", "TEMPORAL_NAMESPACE", "RESOLVER_PUBLIC_URL"} <= read, "the sources were read"
    missing = sorted(v for v in read if not documented(v))
    assert not missing, f".env.example does not document {missing}"
    assert re.search(r"^APPROVAL_LINK_SECRET=$", ENV_EXAMPLE, re.M), "the example carries no secret"


def test_the_resolver_gets_only_the_settings_it_reads():
    resolver = SERVICES["resolver"]
    assert "env_file" not in resolver, "the whole .env (AWS keys, SMTP password) must not reach the public process"
    # What the resolver reads: its flags' variables, LOG_FORMAT (telemetry/src/logs.rs), the link secret (proto/src/links.rs),
    # and the Temporal connection's address and namespace (resolver/src/temporal.rs), plus RUST_LOG.
    reads = _read_by(["resolver", "telemetry"]) | {"APPROVAL_LINK_SECRET", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "RUST_LOG"}
    given = set(resolver["environment"])
    assert given <= reads, f"the resolver is given settings it never reads: {sorted(given - reads)}"
    for secret in ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "SMTP_URL", "POSTGRES_PASSWORD"]:
        assert secret not in given, secret
