"""Markdown rendering of the real-data report (the tables of docs/STRATEGIES.md: `markdown`,
`strategy_table`, `calibration_markdown`) and the one-line summary per data set
(`summary_line`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from bench.real_strategy.decimals import ONE

DSR_BAR = 0.95  # a selection whose deflated Sharpe is below this is not told apart from luck


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}".replace("-", "−")


def _money(value: Any) -> str:
    if value is None:
        return "—"
    v = Decimal(value).quantize(Decimal("0.01"))
    return f"−${-v:,}" if v < 0 else f"${v:,}"


def _params(params: dict[str, Any] | None) -> str:
    if params is None:
        return "— (no trial had a train Sharpe)"
    shown = {k: v for k, v in params.items() if k != "contracts"}
    if "bands" in shown:
        return " ∪ ".join(f"[{lo}, {hi})" for lo, hi in shown["bands"])
    return ", ".join(f"{k} {v}" for k, v in shown.items())


def strategy_table(rows: Sequence[dict[str, Any]]) -> str:
    head = (
        "| strategy | trials | best params (train) | train Sharpe | OOS Sharpe | deflated Sharpe "
        "| OOS trades | OOS PnL after fees | OOS Sharpe > 0.5 | deflated Sharpe >= 0.95 |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = [
        f"| {r['label']} | {r['trials']} | {_params(r['best_params'])} | {_num(r['train_sharpe'])} "
        f"| {_num(r['oos_sharpe'])} | {_num(r['deflated_sharpe'], 3)} | {r['oos_trades'] or 0} "
        f"| {_money(r['oos_pnl'])} | {'yes' if r['clears_0.5_oos'] else 'no'} "
        f"| {'yes' if (r['deflated_sharpe'] or 0) >= DSR_BAR else 'no'} |"
        for r in rows
    ]
    return head + "\n".join(lines)


def calibration_markdown(table: dict[str, Any]) -> str:
    head = (
        f"{table['observations']:,} prints of {table['markets']} markets, "
        f"{Decimal(table['contracts']):,.0f} contracts, Brier {table['brier']}\n\n"
        "| band | prints | markets | contracts | mean price | win rate | markets won "
        "| return after fees |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = []
    for b in table["bands"]:
        upper = "1.00]" if Decimal(b["upper"]) == ONE else f"{b['upper']})"
        ret = b["return_after_fees"]
        lines.append(
            f"| [{b['lower']}, {upper} | {b['observations']:,} | {b['markets']} "
            f"| {Decimal(b['contracts']):,.0f} | {_num(b['mean_price'], 3)} "
            f"| {_num(b['win_rate'], 3)} | {_num(b['market_win_rate'], 3)} "
            f"| {'—' if ret is None else _pct(ret)} |"
        )
    return head + "\n".join(lines)


def _pct(value: Any) -> str:
    return f"{float(value) * 100:+.1f}%".replace("-", "−")


def markdown(results: Sequence[dict[str, Any]]) -> str:
    parts: list[str] = []
    for r in results:
        parts.append(f"### {r['dataset']}\n")
        parts.append(f"Import: {r['import']}\n")
        parts.append(f"Data: `{orjson.dumps(r['data']).decode()}`\n")
        if r.get("period"):
            parts.append(f"Period: `{orjson.dumps(r['period']).decode()}`\n")
        if r.get("grid"):
            parts.append(f"Grid: `{orjson.dumps(r['grid']).decode()}`\n")
        if r.get("wait_profile"):
            parts.append(f"Waits: `{orjson.dumps(r['wait_profile']).decode()}`\n")
        if r["strategies"]:
            parts.append(strategy_table(r["strategies"]) + "\n")
        for row in r["strategies"]:
            if row["strategy"] != "calibration_bands" or not row.get("trial_rows"):
                continue
            parts.append(f"\nEvery trial of {row['label']}:\n")
            parts.append("| bands | train Sharpe | train PnL | OOS Sharpe | OOS trades | OOS PnL |")
            parts.append("| --- | --- | --- | --- | --- | --- |")
            parts.extend(
                f"| {_params(t['params'])} | {_num(t['train_sharpe'])} | {_money(t['train_pnl'])} "
                f"| {_num(t['oos_sharpe'])} | {t['oos_trades']} | {_money(t['oos_pnl'])} |"
                for t in row["trial_rows"]
            )
            parts.append("")
        for w in r.get("wait_sensitivity", []):
            parts.append(
                f"- {w['label']}, max_wait_bars {w['max_wait_bars']}: OOS Sharpe "
                f"{_num(w['oos_sharpe'])}, {w['oos_trades'] or 0} trades, {_money(w['oos_pnl'])}"
            )
        for label, groups in (r.get("oos_breakdown") or {}).items():
            parts.append(f"\nOut of sample, {label}, by side and entry band:\n")
            parts.append("| side | entry band | positions | won | PnL after fees |")
            parts.append("| --- | --- | --- | --- | --- |")
            parts.extend(
                f"| {g['side']} | {g['band']} | {g['positions']} | {g['won']} "
                f"| {_money(g['pnl'])} |"
                for g in groups
            )
        if r.get("becker"):
            parts.append(f"\nBecker figures: `{orjson.dumps(r['becker']).decode()}`\n")
        for name, table in (r.get("calibration") or {}).items():
            parts.append(f"\nCalibration, {name}: " + calibration_markdown(table) + "\n")
        if r.get("calibration_descriptive"):
            parts.append(
                "\nDescriptive calibration of candle closes (inferred results): "
                + calibration_markdown(r["calibration_descriptive"])
                + "\n"
            )
    return "\n".join(parts)


def summary_line(r: dict[str, Any]) -> str:
    rows = r["strategies"]
    clears = [x["label"] for x in rows if x["clears_0.5_oos"]]
    return (
        f"{r['dataset']}: {r['data']['markets']} markets, {len(rows)} strategies swept, "
        f"clearing OOS Sharpe > 0.5: {', '.join(clears) or 'none'} ({r['wall_s']} s)"
    )
