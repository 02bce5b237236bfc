"""The forms of the daily work, other than a record's steps: a new nonconformity, a new
improvement action (:mod:`qms.web.forms_records`), and the indicators: their list and
page (:mod:`qms.web.forms_indicators`), recording a value
(:mod:`qms.web.forms_values`) and importing a file of values
(:mod:`qms.web.forms_import`)."""

from __future__ import annotations

from fastapi import APIRouter

from qms.web import forms_import, forms_indicators, forms_records, forms_values

router = APIRouter()
router.include_router(forms_records.router)
router.include_router(forms_import.router)  # /indicators/import before /indicators/{code}
router.include_router(forms_values.router)
router.include_router(forms_indicators.router)
