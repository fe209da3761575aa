"""SqliteStore's staff-console methods: ``StaffMethods`` on this backend's SQL."""

from licmon.store.sqlite import console_sql, login_sql, report_sql, staff_sql, totp_sql
from licmon.store.sqlite.plumbing import SqlitePlumbing
from licmon.store.staff_methods import StaffMethods


class SqliteStaff(StaffMethods, SqlitePlumbing):
    console_sql = console_sql
    login_sql = login_sql
    report_sql = report_sql
    staff_sql = staff_sql
    totp_sql = totp_sql
