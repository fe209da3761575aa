"""Every typed key of the aiohttp application state."""

from aiohttp import web

from licmon.abuse.monitor import AbuseMonitor
from licmon.catalog import KeyIndex
from licmon.config import Settings
from licmon.domain.network import TrustedProxies
from licmon.gauges import GaugeRefresher
from licmon.geo import Geo
from licmon.metrics import Metrics
from licmon.service import CheckinService
from licmon.signing import KeyRing
from licmon.staff_login import StaffAuth
from licmon.store.base import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
GEO = web.AppKey("geo", Geo)
METRICS = web.AppKey("metrics", Metrics)
KEYRING = web.AppKey("keyring", KeyRing)
INDEX = web.AppKey("index", KeyIndex)
PEPPER = web.AppKey("pepper", bytes)  # read once at start-up; never logged
SERVICE = web.AppKey("service", CheckinService)
TRUSTED_PROXIES = web.AppKey("trusted_proxies", TrustedProxies)
GAUGES = web.AppKey("gauges", GaugeRefresher)
STAFF_AUTH = web.AppKey("staff_auth", StaffAuth)
ABUSE = web.AppKey("abuse", AbuseMonitor)
