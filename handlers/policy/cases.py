"""Reading the policy file's [case_file] section: when the bot suggests closing a case file."""

from __future__ import annotations

from handlers.policy.model import CaseFilePolicy
from handlers.policy.read import Table

CASE_FILE_KEYS = ("suggest_close", "good_run", "run_days", "good_effects")


def read_case_file(table: Table) -> CaseFilePolicy:
    from storage.care.kinds import effects  # the effect scale ships with the visit kinds

    table.allow(CASE_FILE_KEYS)
    base = CaseFilePolicy()
    good = table.strings("good_effects", base.good_effects)
    scale = effects()
    wrong = [effect for effect in good if effect not in scale]
    for effect in wrong:
        options = "、".join(f'"{option}"' for option in scale)
        table.problem("choice", name="good_effects", options=options, value=f'"{effect}"')
    return CaseFilePolicy(
        suggest_close=table.boolean("suggest_close", base.suggest_close),
        good_run=table.positive_int("good_run", base.good_run),
        run_days=table.positive_int("run_days", base.run_days),
        good_effects=base.good_effects if wrong else good,
    )
