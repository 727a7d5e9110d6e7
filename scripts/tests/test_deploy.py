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
    assert ports["temporal"] == ["7233:7233"] and ports["temporal-ui"] == ["8080:8080"] and ports["resolver"] == ["8787:8787"]
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


def test_settings_come_from_env_and_every_setting_the_binaries_read_is_documented():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ["worker", "resolver"]:
        assert SERVICES[name]["env_file"] == [".env"], name
    for variable in re.findall(r"\$\{([A-Z_]+)", text):
        assert documented(variable), variable
    assert "APPROVAL_LINK_SECRET" not in text, "secrets only in .env"
    assert re.search(r"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?", text)
    sources = "".join(p.read_text() for crate in ["worker", "resolver", "proto"] for p in (ROOT / crate / "src").rglob("*.rs"))
    read = set(re.findall(r'env = "([A-Z_]+)"', sources)) | set(re.findall(r'env::var\("([A-Z_]+)"\)', sources))
    read |= {"APPROVAL_LINK_SECRET", "RUST_LOG", "AWS_ENDPOINT_URL", "TEMPORAL_ADDRESS"}
    assert {"LAMBDA_RPS", "LOG_FORMAT", "TEMPORAL_NAMESPACE", "RESOLVER_PUBLIC_URL"} <= read, "the sources were read"
    missing = sorted(v for v in read if not documented(v))
    assert not missing, f".env.example does not document {missing}"
    assert re.search(r"^APPROVAL_LINK_SECRET=$", ENV_EXAMPLE, re.M), "the example carries no secret"
