"""The demo's ZK step: commit the tape in zero knowledge and answer a random audit.

At closing the issuer:

1. commits the tape's Poseidon root (depth-20 tree of salted loan leaves)
   in an :file:`EligibilityRegistry` bound to the deal, beside the deal's
   keccak ``TAPE_ROOT`` (the registry checks it is the deal's and records the
   pair), with the demo's eligibility criteria (:data:`DEMO_CRITERIA`);
2. requests a random audit of ``k`` draws, ``k`` from
   :func:`trancheflow.zk.audit.audit_k` for :data:`CONFIDENCE` of catching a
   pool with :data:`INELIGIBLE_SHARE` or more ineligible loans (59);
3. the chain draws the positions from the hash of a block mined after the
   request; the issuer proves those loans with the batch prover (parallel
   snarkjs workers) and submits the proofs within the window; the registry
   settles the audit (passed, or failed with the missing positions).

The figures go to ``deal_metrics`` (kind ``"zk"``, period 0, key ``"status"``)
for the API and the dashboard, and to the report.

Salts. Each loan's salt is ``Poseidon(secret, loan_id)``; the demo's secret is
``Poseidon(tag, w)`` with ``tag`` the field encoding of ``"trancheflow-demo-zk"``
and ``w`` a 62-bit word drawn from the demo's seeded random generator, so one
seed gives one root. A real issuer keeps a secret of its own, off chain.

Block hashes. titanoboa's EVM answers ``BLOCKHASH`` with zero. The embedded
chain's backend synthesizes a hash per block (``keccak(chain salt || number)``);
the demo hands the EVM those hashes for the last 256 blocks before the draw,
so the draw is the registry's own code on a non-trivial hash. They are
synthesized, not a block producer's: the report says so.

Criteria. The demo tape comes from :func:`trancheflow.tape.generate_tape`,
whose underwriting box is FICO 620-850, LTV at most 97%, DTI at most 50% and
an original balance at most $1,500,000 in any state (its module docstring):
the deal's criteria are that box, so every generated loan is provable. A
tighter rule would make some loans unprovable; the step also reports how
many loans a qualified-mortgage-style DTI cap of 43% would exclude and the
chance a 59-draw audit catches that.
"""

from __future__ import annotations

import html
import json
import resource
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from trancheflow.ops.lifecycle import LifeContext
from trancheflow.zk.audit import audit_k, draw_positions, pass_probability
from trancheflow.zk.leaf import STATES, Criteria, encode_loan_id

__all__ = ["CONFIDENCE", "DEMO_CRITERIA", "INELIGIBLE_SHARE", "demo_secret", "make_hook"]

#: The demo deal's eligibility criteria: the tape generator's underwriting box.
DEMO_CRITERIA = Criteria(
    min_fico=620,
    max_ltv_bps=9_700,
    max_dti_bps=5_000,
    max_balance_cents=150_000_000,
    states=STATES,
)
#: The audit's stated confidence of catching a pool with INELIGIBLE_SHARE bad loans.
CONFIDENCE = 0.95
INELIGIBLE_SHARE = 0.05
#: Seconds the issuer has to prove the drawn loans (illustrative).
AUDIT_WINDOW = 7 * 86_400
#: The tighter DTI cap the "finding" line measures (qualified-mortgage style, 43%).
QM_DTI_BPS = 4_300


def demo_secret(word: int) -> int:
    """The demo issuer's salt secret: ``Poseidon(tag, word)`` (module docstring).

    Examples
    --------
    >>> demo_secret(1) == demo_secret(1) != demo_secret(2)
    True
    """
    from trancheflow.zk.poseidon import poseidon

    return poseidon([encode_loan_id("trancheflow-demo-zk"), int(word)])


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the node workers)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _hex(value: int | bytes) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return f"0x{value:064x}"


class ZkAuditHook:
    """The demo's ZK step (see the module docstring)."""

    name = "zk"

    def __init__(self, out_dir: Path, console: Console, k: int | None = None) -> None:
        self.out_dir = Path(out_dir)
        #: Draws of the audit (default: audit_k(CONFIDENCE, INELIGIBLE_SHARE) = 59).
        self.k = audit_k(CONFIDENCE, INELIGIBLE_SHARE) if k is None else int(k)
        self.console = console
        self.ok = True
        self.status: dict[str, Any] | None = None
        self.note = ""

    # ------------------------------------------------------------ life hooks
    def on_closing(self, ctx: LifeContext) -> None:
        """Commit, request, draw, prove and settle the audit (module docstring)."""
        env = getattr(ctx.client.backend, "env", None)
        if env is None:
            self.note = "ZK audit skipped: the demo step needs the embedded chain"
            return
        try:
            self.status = self._run(ctx, env)
        except Exception as exc:  # the step fails visibly; the deal's life goes on
            self.ok = False
            self.note = f"ZK audit failed: {type(exc).__name__}: {exc}"
            return
        self.ok = self.status["audit"]["state"] == "passed"

    def on_period(self, ctx: LifeContext) -> None:
        """Nothing per period: the audit is answered at closing."""

    def on_end(self, ctx: LifeContext) -> None:
        """Nothing at the end."""

    # ------------------------------------------------------------ the step
    def _run(self, ctx: LifeContext, env: Any) -> dict[str, Any]:
        import boa

        from trancheflow.tape.io import read_tape
        from trancheflow.zk.batch import commit_tape, default_workers, prove_tape
        from trancheflow.zk.onchain import AUDIT_STATES, deploy_registry

        t_start, cpu_start = time.perf_counter(), _cpu_seconds()
        backend, deal = ctx.client.backend, ctx.handle.address
        records = [
            {str(k): v for k, v in r.items()} for r in read_tape(ctx.tape_path).to_dict("records")
        ]
        secret = demo_secret(int(ctx.rng.integers(1, 2**62)))
        t0 = time.perf_counter()
        commitment = commit_tape(records, secret)
        tree_s = time.perf_counter() - t0
        criteria = DEMO_CRITERIA
        ineligible = sum(not criteria.admits(leaf) for leaf in commitment.leaves)
        qm = Criteria(
            criteria.min_fico, criteria.max_ltv_bps, QM_DTI_BPS, criteria.max_balance_cents,
            criteria.states,
        )  # fmt: skip
        qm_out = sum(not qm.admits(leaf) for leaf in commitment.leaves)
        k = self.k
        owner = backend.call("Deal", deal, "owner")
        tape_root = bytes(backend.call("Deal", deal, "TAPE_ROOT"))
        m = len(commitment.leaves)
        with boa.swap_env(env):
            verifier, registry = deploy_registry(deal, k=k, window=AUDIT_WINDOW)
            registry.commit(
                commitment.root, tape_root, m, criteria.min_fico, criteria.max_ltv_bps,
                criteria.max_dti_bps, criteria.max_balance_cents, criteria.state_mask,
                sender=owner,
            )  # fmt: skip
            registry.request_audit(sender=ctx.keeper)
            seed_block = int(registry.audit_block())
            delay = int(registry.AUDIT_DELAY())
        for _ in range(delay + 1):  # mine past the seed block
            ctx.client.advance_time(12)
        patch = env.evm.patch
        now = int(patch.block_number)
        patch.prev_hashes = [
            bytes.fromhex(str(backend.block_hash(now - 1 - i))[2:]) for i in range(min(256, now))
        ]
        seed = bytes.fromhex(str(backend.block_hash(seed_block))[2:])
        with boa.swap_env(env):
            registry.draw_audit(sender=ctx.keeper)
            drawn = [int(p) for p in registry.audit_positions_drawn()]
            deadline = int(registry.audit_deadline())
        if drawn != draw_positions(seed, k, m):
            raise RuntimeError("the registry's draw differs from the seed block's hash draw")
        distinct = sorted(set(drawn))
        proofs = self.out_dir / "zk"
        gas: list[int] = []
        errors: list[str] = []
        verify_s = [0.0]
        lock = threading.Lock()

        def submit(position: int, outcome: str) -> None:
            # called by the batch prover as each proof lands: the EVM verifies it
            # (py-evm, about 1 CPU-s) while the node workers prove the next ones
            if outcome not in ("proven", "skipped"):
                return
            with lock:
                t = time.perf_counter()
                try:
                    body = json.loads((proofs / "proofs" / f"{position}.json").read_text())
                    words = [int(w) for w in body["words"]]
                    leaf = commitment.leaves[position]
                    registry.prove(leaf.loan_id, position, words, sender=ctx.issuer)
                    gas.append(int(registry._computation.net_gas_used))
                except Exception as exc:  # recorded; the audit then fails on it
                    errors.append(f"position {position}: {exc}")
                verify_s[0] += time.perf_counter() - t

        t0 = time.perf_counter()
        result = prove_tape(commitment, criteria, proofs, positions=distinct, on_done=submit)
        prove_s = time.perf_counter() - t0
        with boa.swap_env(env):
            if not registry.audit_missing():
                registry.settle_audit(sender=ctx.keeper)
            state = AUDIT_STATES[int(registry.audit_state())]
            proven, loans = int(registry.proven_count()), int(registry.loan_count())
            missing = [int(p) for p in registry.audit_missing()]
            verifier_address, registry_address = str(verifier.address), str(registry.address)
        status: dict[str, Any] = {
            "proven": proven,
            "loans": loans,
            "poseidon_root": _hex(commitment.root),
            "tape_root": _hex(tape_root),
            "registry": registry_address,
            "verifier": verifier_address,
            "criteria": {
                "min_fico": criteria.min_fico,
                "max_ltv_bps": criteria.max_ltv_bps,
                "max_dti_bps": criteria.max_dti_bps,
                "max_balance_cents": criteria.max_balance_cents,
                "states": len(criteria.states),
            },
            "ineligible_in_tape": ineligible,
            "audit": {
                "state": state,
                "k": k,
                "confidence": round(1.0 - pass_probability(k, INELIGIBLE_SHARE), 4),
                "ineligible_share": INELIGIBLE_SHARE,
                "miss_probability": pass_probability(k, INELIGIBLE_SHARE),
                "drawn": drawn,
                "distinct": len(distinct),
                "proven_drawn": len(distinct) - len(missing),
                "missing": missing,
                "errors": errors[:5],
                "deadline": deadline,
                "seed_block": seed_block,
                "seed": _hex(seed),
                "seed_source": "synthesized block hash (embedded titanoboa chain)",
            },
            "timing": {
                "tree_s": round(tree_s, 2),
                "prove_s": round(prove_s, 2),
                "verify_s": round(verify_s[0], 2),
                "proofs_new": len(result.proven),
                "proofs_reused": len(result.skipped),
                "workers": default_workers(),
                "step_s": round(time.perf_counter() - t_start, 2),
                "step_cpu_s": round(_cpu_seconds() - cpu_start, 1),
                "prove_exec_gas_mean": round(sum(gas) / len(gas)) if gas else 0,
            },
            "finding_qm_dti": {
                "max_dti_bps": QM_DTI_BPS,
                "loans_excluded": qm_out,
                "catch_probability": 1.0 - pass_probability(k, qm_out / m),
            },
        }
        from trancheflow.ops.metrics import record_metrics

        record_metrics(ctx.db_url, deal, "zk", [(0, "status", status)])
        return status

    # ------------------------------------------------------------ reporting
    def summary_lines(self) -> list[str]:
        """The console summary: the audit's outcome and N of M proven."""
        if self.status is None:
            return [f"[yellow]{self.note}[/]"] if self.note else []
        a, t = self.status["audit"], self.status["timing"]
        colour = "green" if a["state"] == "passed" else "red"
        q = self.status["finding_qm_dti"]
        return [
            f"[{colour}]ZK audit: {a['proven_drawn']} of {a['distinct']} drawn loans proven "
            f"eligible[/] ({a['k']} draws for {a['confidence']:.0%} confidence of catching "
            f">= {a['ineligible_share']:.0%} ineligible; audit {a['state']}); "
            f"{self.status['proven']:,} of {self.status['loans']:,} loans proven",
            f"  ZK step {t['step_s']:.1f} s, {t['step_cpu_s']:.0f} CPU-s "
            f"(tree {t['tree_s']:.1f} s; {t['proofs_new']} "
            f"proofs on {t['workers']} snarkjs workers, {t['proofs_reused']} reused, and "
            f"their on-chain verification ({t['verify_s']:.1f} s in py-evm) in "
            f"{t['prove_s']:.1f} s); draw seed: {a['seed_source']}; DEVELOPMENT keys",
            f"  finding: a DTI cap of {q['max_dti_bps'] / 100:.0f}% would leave "
            f"{q['loans_excluded']:,} loans unprovable; {a['k']} draws catch that with "
            f"probability {q['catch_probability']:.4f}",
        ]

    def report_sections(self) -> list[tuple[str, str]]:
        """One report section: roots, the audit and N of M proven."""
        if self.status is None:
            return (
                [("Zero-knowledge audit", f"<p>{html.escape(self.note)}</p>")] if self.note else []
            )
        s, a, t = self.status, self.status["audit"], self.status["timing"]
        colour = "#1a7f37" if a["state"] == "passed" else "#cf222e"
        cards = "".join(
            f'<div class="card"><div class="k">{html.escape(k)}</div><div class="v">{v}</div></div>'
            for k, v in (
                ("loans proven eligible", f"{s['proven']:,} of {s['loans']:,}"),
                ("audit", f'<span style="color:{colour}">{a["state"]}</span>'),
                ("drawn loans proven", f"{a['proven_drawn']} of {a['distinct']}"),
                ("draws (k)", f"{a['k']} ({a['confidence']:.0%} / {a['ineligible_share']:.0%})"),
            )
        )
        body = (
            f'<div class="cards">{cards}</div>'
            f"<p>Poseidon root <code>{s['poseidon_root']}</code> committed beside the "
            f"deal's keccak tape root <code>{s['tape_root']}</code> in the eligibility "
            f"registry <code>{s['registry']}</code> (the registry checked the keccak root "
            f"is the deal's). {a['k']} positions drawn from block {a['seed_block']}'s "
            f"hash ({html.escape(a['seed_source'])}); the chance an audit of this size "
            f"passes a pool with {a['ineligible_share']:.0%} ineligible loans is at most "
            f"{a['miss_probability']:.3f}. {t['proofs_new']} proofs made in "
            f"{t['prove_s']:.1f} s on {t['workers']} snarkjs workers; mean "
            f"<code>prove</code> execution {t['prove_exec_gas_mean']:,} gas.</p>"
            "<p>Criteria: the tape generator's underwriting box (FICO &ge; 620, LTV "
            "&le; 97%, DTI &le; 50%, balance &le; $1.5M, any state): "
            f"{s['ineligible_in_tape']} loans of the tape fail them. The circuit keys come "
            "from a DEVELOPMENT setup: anyone can forge proofs with them.</p>"
        )
        return [("Zero-knowledge eligibility audit", body)]


def make_hook(out_dir: Path, console: Console) -> ZkAuditHook:
    """The zk step's hook."""
    return ZkAuditHook(out_dir, console)
