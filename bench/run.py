"""tfshadow benchmarks: `make bench` prints the figures.

Sizes are scaled by BENCH_SCALE (default 1.0; 0.1 for a quick look). Figures vary ±30% on a
noisy 2-core machine: compare orders of magnitude, not digits.
"""

from __future__ import annotations

import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bench.generate import churn, generate_state
from tfshadow.state import delta
from tfshadow.state.normalise import canonicalise
from tfshadow.state.redact import Redactor
from tfshadow.store import GitShadowStore, StoreConfig

T = TypeVar("T")
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ROOT = Path(__file__).resolve().parents[1]


def scaled(n: int) -> int:
    return max(1, int(n * SCALE))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def row(label: str, value: str) -> None:
    print(f"  {label:<58} {value}")


@contextmanager
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tfshadow-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def packed_size(repo: Path) -> int:
    """Bytes of git's object database (packs + loose), not reflogs, hooks or caches."""
    out = subprocess.run(
        ["git", "-C", str(repo), "count-objects", "-v"], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(line.split(": ") for line in out.splitlines())
    return (int(fields["size"]) + int(fields["size-pack"])) * 1024


def isolated_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    (home / ".terraformrc").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "TFSHADOW_"))}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        TF_CLI_CONFIG_FILE=str(home / ".terraformrc"),
    )
    return env


def meta_for(n: int) -> dict[str, Any]:
    return {
        "timestamp": "2026-01-01T00:00:00Z",
        "author": {"name": "Bench", "email": "bench@example.com", "source": "os"},
        "description": f"bench version {n}",
        "kind": "apply",
        "outcome": "success",
        "terraform": {"engine": "embedded", "version": "1.15.5", "binary": "embedded"},
        "workspace": "default",
        "changes": {"add": 0, "change": 0, "destroy": 0, "addresses": []},
    }


def bench_apply_overhead() -> None:
    """Wall time of `tfshadow apply` against a plain apply of the same change."""
    n = scaled(100)
    print(f"\n`tfshadow apply` vs plain apply, {n} terraform_data resources, embedded engine")
    compile_package()
    with scratch() as tmp:
        env = isolated_env(tmp / "home")
        config = (
            'variable "size" {\n  default = "a"\n}\n'
            f'resource "terraform_data" "r" {{\n  count = {n}\n'
            "  input = { size = var.size, index = count.index }\n}\n"
        )
        results: dict[str, list[float]] = {"plain": [], "tfshadow": []}
        for kind in results:
            work = tmp / kind
            work.mkdir()
            (work / "main.tf").write_text(config)
            tfshadow = str(Path(sys.executable).parent / "tfshadow")
            subprocess.run(
                [tfshadow, "init", "-no-color"], cwd=work, env=env, check=True, capture_output=True
            )
            for i, size in enumerate(("b", "c", "d", "e")):
                if kind == "plain":
                    argv = [sys.executable, "-P", str(ROOT / "tfshadow/runner/embedded_entry.py")]
                else:
                    argv = [tfshadow]
                args = [*argv, "apply", "-auto-approve", "-no-color", "-var", f"size={size}"]
                start = time.perf_counter()
                subprocess.run(args, cwd=work, env=env, check=True, capture_output=True)
                seconds = time.perf_counter() - start
                if i:  # the first apply creates everything; time the changes
                    results[kind].append(seconds)
        plain = min(results["plain"])
        wrapped = min(results["tfshadow"])
        row("plain apply (best of 3)", f"{plain:.2f} s")
        row("tfshadow apply (best of 3)", f"{wrapped:.2f} s")
        row("ratio", f"{wrapped / plain:.2f}x  (+{wrapped - plain:.2f} s)")


def compile_package() -> None:
    """Byte-compile tfshadow, as `pip install` does: timings then match an installed tool."""
    # An editable install run with PYTHONDONTWRITEBYTECODE set compiles every module on every
    # start (~0.15 s), which no installed copy does.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tfshadow")], check=True)


def bench_revert_sizes() -> None:
    bench_revert(provider_seconds=0.0)
    bench_revert(provider_seconds=0.0, plugin=True)
    bench_revert(provider_seconds=1.0)


def bench_revert(provider_seconds: float, *, plugin: bool = False) -> None:
    """Revert of a 200-resource configuration with 20 changed resources vs a plain apply.

    ``provider_seconds``: how long the provider takes to change one resource. terraform_data
    takes none, so the ratio then measures fixed costs alone; 1 s is a quick cloud API call.
    ``plugin``: the resources are `localcloud_datastore`s (SQLite files) of the `localcloud`
    provider, a plugin process as every real provider is, changing a setting of 20 of them.
    """
    n, changed = scaled(200), max(1, scaled(20))
    work_note = f", {provider_seconds:g} s of provider work per change" if provider_seconds else ""
    if plugin:
        work_note = ", localcloud provider plugin (datastores)"
    print(
        f"\n`tfshadow revert` vs plain apply: {n} resources, {changed} changed{work_note}, "
        "embedded engine"
    )
    compile_package()
    tfshadow = str(Path(sys.executable).parent / "tfshadow")
    plain = [sys.executable, "-P", str(ROOT / "tfshadow/runner/embedded_entry.py")]
    changing = f"count.index < {changed}"
    if plugin:
        size = f'{changing} ? (var.gen == "a" ? 1000 : 2000) : 500'
        body = f'  name = "db${{count.index}}"\n  cache_size = {size}\n'
    elif provider_seconds:
        # A changed resource is replaced, and its creation takes provider_seconds.
        body = (
            f'  triggers_replace = {changing} ? "${{var.gen}}-${{count.index}}" : "fixed"\n'
            '  provisioner "local-exec" {\n'
            f'    command = "sleep ${{{changing} ? {provider_seconds:g} : 0}}"\n  }}\n'
        )
    else:
        body = f'  input = {changing} ? "${{var.gen}}-${{count.index}}" : "fixed"\n'
    kind = "localcloud_datastore" if plugin else "terraform_data"
    config = (
        'variable "gen" {\n  default = "a"\n}\n'
        f'resource "{kind}" "r" {{\n  count = {n}\n{body}}}\n'
    )
    if plugin:
        config = (
            "terraform {\n  required_providers {\n    localcloud = { source = "
            '"local/tfshadow/localcloud" }\n  }\n}\n' + config
        )
    with scratch() as tmp:
        env = isolated_env(tmp / "home")
        if plugin:
            from tfshadow.localcloud import install

            mirror = install.mirror(tmp / "mirror")
            env["TF_CLI_CONFIG_FILE"] = str(install.cli_config(mirror, tmp / "localcloud.tfrc"))
        work = tmp / "work"
        work.mkdir()
        (work / "main.tf").write_text(config)

        def run(*argv: str) -> float:
            start = time.perf_counter()
            subprocess.run(argv, cwd=work, env=env, check=True, capture_output=True)
            return time.perf_counter() - start

        run(tfshadow, "init", "-no-color")
        run(tfshadow, "apply", "-auto-approve", "-no-color")  # version 1: gen = a
        run(tfshadow, "apply", "-auto-approve", "-no-color", "-var", "gen=b")  # version 2
        plain_times, revert_times, first_output = [], [], []
        for i in range(3):
            to = "1" if i % 2 == 0 else "2"
            gen = "a" if to == "1" else "b"
            start = time.perf_counter()
            proc = subprocess.Popen(
                [tfshadow, "revert", to, "--auto-approve", "--no-color"],
                cwd=work,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert proc.stdout is not None
            first = proc.stdout.readline()
            first_output.append(time.perf_counter() - start if first else float("nan"))
            proc.stdout.read()
            assert proc.wait() == 0
            revert_times.append(time.perf_counter() - start)
            other = "b" if gen == "a" else "a"
            run(*plain, "apply", "-auto-approve", "-no-color", "-var", f"gen={other}")
            plain_times.append(
                run(*plain, "apply", "-auto-approve", "-no-color", "-var", f"gen={gen}")
            )
            run(tfshadow, "log")  # records the plain applies as recovered versions
        floor_times = [_saved_plan_flow(work, env, gen) for gen in ("b", "a", "b")]
        row("plain apply of the same change (best of 3)", f"{min(plain_times):.2f} s")
        row("tfshadow revert (best of 3)", f"{min(revert_times):.2f} s")
        row("ratio", f"{min(revert_times) / min(plain_times):.2f}x   target <= 1.3x")
        row(
            "Terraform alone: plan -out, show -json, apply the plan",
            f"{min(floor_times):.2f} s = {min(floor_times) / min(plain_times):.2f}x "
            "(the least any revert that shows its plan can take)",
        )
        row("command to first plan output", f"{min(first_output):.2f} s")


def _saved_plan_flow(work: Path, env: dict[str, str], gen: str) -> float:
    """Seconds for the Terraform commands a revert must run, in one embedded process and with
    nothing around them: plan to a file, show it as JSON, apply exactly that plan."""
    from tfshadow.runner.engine import embedded_engine

    plan = work / "floor.tfplan"
    quiet = ["-no-color", "-input=false"]
    start = time.perf_counter()
    with embedded_engine().session(cwd=work, environ=env) as terraform:
        steps = [
            terraform.capture(["plan", *quiet, f"-out={plan}", "-var", f"gen={gen}"]),
            terraform.capture(["show", "-json", str(plan)]),
            terraform.capture(["apply", *quiet, str(plan)]),
        ]
    elapsed = time.perf_counter() - start
    failed = [s for s in steps if s.returncode != 0]
    if failed:
        raise SystemExit(f"saved-plan flow failed: {failed[0].error_line()}")
    plan.unlink()
    return elapsed


def bench_capture(n_instances: int) -> None:
    print(f"\ncapture of a {n_instances}-instance state (~1% churn)")
    raw = generate_state(n_instances, seed=1)
    nxt = churn(raw, fraction=0.01, seed=2)
    row("raw state size", f"{len(delta.dumps(nxt)) / 1e6:.1f} MB")
    redactor = Redactor(b"k" * 32)
    with scratch() as tmp:
        store = GitShadowStore.open(StoreConfig(workdir=tmp, path=tmp / "store"), create=True)
        config = {"format": 1, "files": {}, "binary_files": {}, "variables": {}}
        first = redactor.redact_state(canonicalise(raw))
        with store.lock(5):
            store.record("default", meta_for(1), first, config)
        canon, t_norm = timed(lambda: canonicalise(nxt))
        # As a recorded command does: the version before's sealed places stay sealed.
        red, t_red = timed(lambda: redactor.redact_state(canon, previous=first))
        d, t_delta = timed(lambda: delta.diff(first, red))
        with store.lock(5):
            _, t_commit = timed(lambda: store.record("default", meta_for(2), red, config))
        row("normalise", f"{t_norm * 1000:.0f} ms")
        row("redact", f"{t_red * 1000:.0f} ms")
        row(
            "delta (for its size; record computes it again)",
            f"{t_delta * 1000:.0f} ms, {len(delta.dumps(d)) / 1e3:.1f} KB",
        )
        row("record (delta + write + git commit)", f"{t_commit * 1000:.0f} ms")
        row(
            "capture total (normalise + redact + record)",
            f"{(t_norm + t_red + t_commit):.2f} s   target < 2 s at 10k",
        )
        # Many short secrets known in plain (a configuration's variables): each is looked for
        # inside every string of the state, which must not cost more the more there are.
        rng = random.Random(3)
        short = {
            "".join(rng.choices(string.ascii_letters + string.digits, k=6)) for _ in range(600)
        }
        _, t_short = timed(lambda: redactor.redact_state(canon, previous=first, given=short))
        row(f"redact, {len(short)} distinct 6-character secrets given", f"{t_short * 1000:.0f} ms")


def bench_history(n_instances: int, n_versions: int) -> None:
    print(f"\n{n_versions} versions of a {n_instances}-instance state (~1% churn each)")
    redactor = Redactor(b"k" * 32)
    config = {
        "format": 1,
        "files": {"main.tf": ['resource "x" "y" {}\n']},
        "binary_files": {},
        "variables": {},
    }
    with scratch() as tmp:
        store = GitShadowStore.open(StoreConfig(workdir=tmp, path=tmp / "store"), create=True)
        # The same store keeping a full snapshot at every version: same commits, metadata and
        # layout, so the difference is what deltas save over git's own compression.
        full = GitShadowStore.open(
            StoreConfig(workdir=tmp, path=tmp / "full", keyframe_interval=1), create=True
        )
        snapshots = tmp / "snapshots"
        # Only the snapshots the store keeps as keyframes, committed as bare as the above: the
        # least the keyframes a store must hold can cost, before any version's own files.
        keyframes = tmp / "keyframes"
        for repo in (snapshots, keyframes):
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
        interval = StoreConfig(workdir=tmp).keyframe_interval
        raw = generate_state(n_instances, seed=1)
        raw_bytes = 0
        start = time.perf_counter()
        for v in range(1, n_versions + 1):
            doc = redactor.redact_state(canonicalise(raw))
            with store.lock(5):
                store.record("default", meta_for(v), doc, config)
            with full.lock(5):
                full.record("default", meta_for(v), doc, config)
            data = delta.dumps(raw)
            raw_bytes += len(data)
            for repo in (snapshots, keyframes) if (v - 1) % interval == 0 else (snapshots,):
                (repo / "terraform.tfstate").write_bytes(data)
                subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
                subprocess.run(
                    ["git", "-C", str(repo), "commit", "-qm", f"v{v}"],
                    check=True,
                    env={
                        **os.environ,
                        "GIT_AUTHOR_NAME": "b",
                        "GIT_AUTHOR_EMAIL": "b@b",
                        "GIT_COMMITTER_NAME": "b",
                        "GIT_COMMITTER_EMAIL": "b@b",
                    },
                )
            raw = churn(raw, fraction=0.01, seed=v + 1)
        elapsed = time.perf_counter() - start
        row("building the three histories", f"{elapsed:.0f} s")
        latest = n_versions
        _, t_warm = timed(lambda: store.reconstruct("default", latest))
        cache_files = [p for p in (tmp / "store" / ".git").rglob("*cache*") if p.is_file()]
        for p in cache_files:
            p.unlink()
        cold_store = GitShadowStore.open(StoreConfig(workdir=tmp, path=tmp / "store"), create=False)
        _, t_cold = timed(lambda: cold_store.reconstruct("default", latest))
        _, t_mid = timed(lambda: cold_store.reconstruct("default", latest // 2 + 7))
        row("reconstruct latest (cached)", f"{t_warm * 1000:.0f} ms   target < 500 ms")
        row("reconstruct latest (no cache: keyframe + deltas)", f"{t_cold * 1000:.0f} ms")
        row(f"reconstruct version {latest // 2 + 7} (no cache)", f"{t_mid * 1000:.0f} ms")
        subprocess.run(["git", "-C", str(tmp / "store"), "gc", "-q", "--aggressive"], check=True)
        subprocess.run(["git", "-C", str(snapshots), "gc", "-q", "--aggressive"], check=True)
        subprocess.run(["git", "-C", str(tmp / "full"), "gc", "-q", "--aggressive"], check=True)
        subprocess.run(["git", "-C", str(keyframes), "gc", "-q", "--aggressive"], check=True)
        store_git = packed_size(tmp / "store")
        snap_git = packed_size(snapshots)
        full_git = packed_size(tmp / "full")
        row("raw full snapshots", f"{raw_bytes / 1e6:.1f} MB")
        row("bare state snapshots in git, one file, gc --aggressive", f"{snap_git / 1e6:.2f} MB")
        row("same store, full snapshot every version, gc --aggressive", f"{full_git / 1e6:.2f} MB")
        row(
            f"bare snapshots of the keyframe versions alone (every {interval}th), gc --aggressive",
            f"{packed_size(keyframes) / 1e6:.2f} MB",
        )
        row(
            "tfshadow store (deltas), gc --aggressive",
            f"{store_git / 1e6:.2f} MB   ({store_git / full_git:.2f}x of the same store with "
            f"snapshots, {store_git / snap_git:.2f}x of bare snapshots)",
        )
        # What grows with the history on every command: listing the versions, checking the
        # store's files, reading every version's meta (`log`). Measured after the sizes, so
        # that they compare histories of the same length.
        _, t_log = timed(
            lambda: GitShadowStore.open(
                StoreConfig(workdir=tmp, path=tmp / "store"), create=False
            ).versions("default")
        )
        row(f"open the store, meta of all {latest} versions (`log`)", f"{t_log * 1000:.0f} ms")
        for v in (latest + 1, latest + 2):
            doc = redactor.redact_state(canonicalise(raw))
            raw = churn(raw, fraction=0.01, seed=v + 1)

            def record_next(v: int = v, doc: dict[str, Any] = doc) -> dict[str, Any]:
                with store.lock(5):
                    return store.record("default", meta_for(v), doc, config)

            meta, t_record = timed(record_next)
            kind = "keyframe" if meta["keyframe"] else "delta"
            row(f"record version {v} ({kind} + write + git commit)", f"{t_record * 1000:.0f} ms")


def bench_log_patch(n_instances: int, n_versions: int) -> None:
    """`tfshadow log -p` of a history of ~1% churn: what showing each version's changes costs
    at a large state's size (each version rebuilt and compared with its parent)."""
    print(f"\n`tfshadow log -p` of {n_versions} versions of a {n_instances}-instance state")
    compile_package()
    redactor = Redactor(b"k" * 32)
    config = {"format": 1, "files": {}, "binary_files": {}, "variables": {}}
    with scratch() as tmp:
        env = isolated_env(tmp / "home")
        store = GitShadowStore.open(StoreConfig(workdir=tmp), create=True)
        raw = generate_state(n_instances, seed=1)
        for v in range(1, n_versions + 1):
            with store.lock(5):
                store.record(
                    "default", meta_for(v), redactor.redact_state(canonicalise(raw)), config
                )
            raw = churn(raw, fraction=0.01, seed=v + 1)
        tfshadow = str(Path(sys.executable).parent / "tfshadow")
        argv = [tfshadow, "log", "-p", "-n", str(n_versions), "--no-pager", "--no-color"]
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(argv, cwd=tmp, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        best = min(times)
        row("log -p (best of 3)", f"{best:.2f} s, {best / n_versions * 1000:.0f} ms a version")


def bench_forecast_quality() -> None:
    """Detection quality on the evaluation set (bench/series.py), per sensitivity."""
    from bench.forecast_eval import ongoing_verdicts, quality

    count = scaled(150)
    for level in ("medium", "high", "low"):
        print(
            f"deviation detection at {level}: {count} series of 4,000 points per case, "
            "fault sizes in σ of the noise's innovations"
        )
        for label, value in quality(count, 4000, level).items():
            row(label, str(value))
    # The same series, faults sized in σ of the noise itself (what a graph of the metric shows;
    # larger than the innovations' σ where the noise is autoregressive).
    print("deviation detection at medium: the same series, fault sizes in σ of the noise itself")
    for label, value in quality(count, 4000, "medium", unit="marginal").items():
        if "σ" in label and "named" not in label:
            row(label, str(value))
    bench_shift_bound(count)
    print("analyze's verdict at the end of the range (a recommendation when deviating), medium")
    for label, value in ongoing_verdicts(scaled(100)).items():
        row(label, value)


def bench_shift_bound(count: int) -> None:
    """What any detector could reach on the same level shifts: the oracle of bench/oracle.py."""
    from bench.oracle import oracle_shift_detection

    print(
        "bound: a detector told each series' true signal, φ, the shocks' law and the shift's "
        "size, at just under 1 false alarm per 1,000 points (same series)"
    )
    result = oracle_shift_detection(count=count, densities=("t",))
    for unit, name in (("innovation", "σ of innovations"), ("marginal", "σ of the noise")):
        for noise in ("iid", "ar"):
            entry = result[f"t {unit} {noise}"]
            assert isinstance(entry, dict)
            within = float(entry["within 5 points"])
            row(f"level_shift 3σ ({noise}), {name}", f"within 5 points {within:.0%}")


def bench_analyze(series: int, points: int) -> None:
    """`analyze` end to end over CSV files: resources of a recorded version, one file each."""
    import resource

    import numpy as np

    from bench.series import clean
    from tfshadow.ops.analyze import AnalyzeRequest, analyze
    from tfshadow.project import Project

    print(f"analyze: {series} series of {points} points (CSV source, default model)")
    with scratch() as tmp:
        state = {
            "format": 1,
            "version": 4,
            "terraform_version": "1.15.5",
            "serial": 1,
            "lineage": "bench",
            "outputs": {},
            "resources": {
                f"terraform_data.n{i}": {
                    "mode": "managed",
                    "type": "terraform_data",
                    "name": f"n{i}",
                    "provider": 'provider["terraform.io/builtin/terraform"]',
                    "attributes": {"id": f"id-{i}"},
                }
                for i in range(series)
            },
        }
        store = GitShadowStore.open(StoreConfig(workdir=tmp, path=tmp / ".tfshadow"), create=True)
        store.record("default", meta_for(1), state, {"format": 1, "files": {}, "variables": {}})
        (tmp / "main.tf").write_text("")
        (tmp / "tfshadow.hcl").write_text(
            'metrics "csv" { path = "m/${address}.csv" }\n'
            'resource_metrics "*" {\n  source = "csv"\n  metrics = ["cpu"]\n}\n'
        )
        (tmp / "m").mkdir()
        rng = np.random.default_rng(1)
        # Every series ends now: one that stopped reporting is judged inconclusive, not scored.
        end = int(time.time())
        for i in range(series):
            case = clean(rng, points, kind=int(rng.integers(0, 4)))
            stamps = end - (points - 1 - np.arange(points)) * int(case.step)
            text = "\n".join(f"{t},{v:.3f}" for t, v in zip(stamps, case.values, strict=True))
            (tmp / "m" / f"terraform_data.n{i}.csv").write_text("timestamp,value\n" + text)
        project = Project(tmp, isolated_env(tmp / "home"))
        request = AnalyzeRequest(since=400 * 86400.0, alert=False, mark=False)
        report, seconds = timed(lambda: analyze(project, request))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        row("analyze, wall time", f"{seconds:.1f} s   target <= 60 s")
        row(
            "series judged / inconclusive",
            f"{report.analysed} / {sum(v.verdict == 'inconclusive' for v in report.verdicts)}",
        )
        row("peak memory (RSS): main process / largest worker", f"{peak:.0f} / {workers:.0f} MiB")


def bench_detect(rows: int) -> None:
    from bench.forecast_eval import detect_speed

    row(f"detect on a {rows:,}-row file", f"{detect_speed(rows):.2f} s")


def bench_capture_sizes() -> None:
    bench_capture(scaled(1000))
    bench_capture(scaled(10000))


def bench_history_sizes() -> None:
    bench_history(scaled(100), scaled(1000))
    bench_history(scaled(1000), scaled(201))


def bench_log_patch_sizes() -> None:
    bench_log_patch(scaled(3000), scaled(30))


def bench_forecast() -> None:
    bench_analyze(scaled(1000), 4000)
    bench_detect(scaled(20000))
    bench_forecast_quality()


def bench_ghost() -> None:
    """Ghost activation vs a revert's cold start of a slow-starting localcloud instance."""
    from bench.ghost import bench_ghost as run_ghost

    run_ghost()


def bench_fleet() -> None:
    """Judging 5,000 series of 4,000 points here vs on a 2-worker Dask LocalCluster."""
    from bench.fleet import bench_fleet as run_fleet

    run_fleet(scaled(5000), 4000)


SECTIONS: dict[str, Callable[[], None]] = {
    "apply": bench_apply_overhead,
    "revert": bench_revert_sizes,
    "capture": bench_capture_sizes,
    "history": bench_history_sizes,
    "logp": bench_log_patch_sizes,
    "forecast": bench_forecast,
    "ghost": bench_ghost,
    "fleet": bench_fleet,
}


def main() -> None:
    """All sections, or those named on the command line (``python -m bench.run forecast``)."""
    wanted = sys.argv[1:] or list(SECTIONS)
    unknown = [w for w in wanted if w not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section {unknown[0]}: choose from {', '.join(SECTIONS)}")
    print(f"tfshadow benchmarks (BENCH_SCALE={SCALE})")
    for name in wanted:
        SECTIONS[name]()


if __name__ == "__main__":
    main()
