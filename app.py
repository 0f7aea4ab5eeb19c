"""e-Surety (電子保証): the Chalice app. Settings, middleware, blueprints; nothing else."""

import gc

# Importing the app builds long-lived objects (modules, classes, route tables) and next to no
# garbage, so the collections the allocations trigger meanwhile only walk the same objects again
# and again: ~20 ms of a cold start (issue 32). Collection is paused until the routes are
# registered, and gc.freeze() then moves what the import built out of every later collection's way.
gc.disable()

from chalice import Chalice  # noqa: E402

from chalicelib.handlers import (  # noqa: E402
    account_pages,
    accounts,
    admin,
    admin_departments,
    admin_pages,
    binary,
    bounces,
    deliveries,
    delivery_pages,
    dev,
    dsure,
    events,
    fees,
    maintenance,
    middleware,
    netdesk_applications,
    netdesk_guarantees,
    netdesk_reservation_pages,
    netdesk_reservations,
    portal,
    public,
    session,
    signing,
    staff,
    staff_audit,
    staff_reservation_pages,
    staff_reservations,
    webhooks,
)
from chalicelib.store import connection  # noqa: E402

# Chalice's logger writes through chalicelib/logs.py's JSON handler (its unhandled-exception line is
# the one the template's metric filter counts), not a plain-text handler of its own.
app = Chalice(app_name="esurety", configure_logs=False)
# What the function answers in base64. API Gateway's own list (request bodies: CP932 CSVs and
# multipart uploads arrive as the client's bytes) is binary.GATEWAY, set by the merge template.
app.api.binary_types = list(binary.ANSWERED)

app.register_middleware(middleware.http_middleware, "http")

app.register_blueprint(public.bp)
app.register_blueprint(session.bp)
app.register_blueprint(portal.bp)
app.register_blueprint(dev.bp)
app.register_blueprint(events.bp)
app.register_blueprint(maintenance.bp)
app.register_blueprint(netdesk_applications.bp)
app.register_blueprint(netdesk_guarantees.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(staff_audit.bp)
app.register_blueprint(dsure.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(account_pages.bp)
app.register_blueprint(admin_pages.bp)
app.register_blueprint(bounces.bp)
app.register_blueprint(fees.bp)
app.register_blueprint(netdesk_reservations.bp)
app.register_blueprint(netdesk_reservation_pages.bp)
app.register_blueprint(staff_reservations.bp)
app.register_blueprint(staff_reservation_pages.bp)
app.register_blueprint(signing.bp)
app.register_blueprint(webhooks.bp)
app.register_blueprint(deliveries.bp)
app.register_blueprint(admin_departments.bp)
app.register_blueprint(delivery_pages.bp)

# The botocore session every signed-in request's session check reads through (botocore's ~120 event
# handlers registered, its loaders made: ~6 ms of CPU) is made with the app, not by the first request.
# The DynamoDB client is still made on the first call: it depends on the endpoint the environment
# names then (the local stack and the tests point the process at moto after importing the app).
connection.session()

gc.freeze()
gc.enable()


def warm_up() -> None:
    """Every first-use cost of a request, paid now (services/warmup.py): SnapStart's
    before-snapshot hook on Lambda; `bin/local` runs it before serving."""
    from chalicelib.handlers import lazy
    from chalicelib.handlers.request_schemas import all_schemas
    from chalicelib.services import warmup

    lazy.load_all()  # every route's services (handlers import them on first use)
    warmup.warm_up(all_schemas())


def after_restore() -> None:
    """SnapStart's after-restore hook: what must differ between restored instances."""
    from chalicelib.services import warmup

    warmup.after_restore()


try:  # Lambda's python3.12+ runtimes provide it; elsewhere there is no snapshot to hook into
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:
    pass
else:
    register_before_snapshot(warm_up)
    register_after_restore(after_restore)
