"""Two organizations with licenses, check-ins, flags and holds, and one account per role."""

from dataclasses import dataclass, field

from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.sessions import new_api_token, token_hash
from tests.conftest import START
from tests.staff.conftest import Browser, StaffWorld

ROLES = ("admin", "analyst", "support", "dpo", "customer")
ACME_MARKERS = ("Acme Ltd", "acme-machine", "313")
GLOBEX_MARKERS = ("Globex Corporation", "globex-machine", "777")


@dataclass
class Scene:
    world: StaffWorld
    acme_license: int = 0
    globex_license: int = 0
    acme_flags: list[int] = field(default_factory=list)
    globex_flag: int = 0
    tokens: dict[str, str] = field(default_factory=dict)

    async def browser(self, username: str) -> Browser:
        return await self.world.logged_in(username)


async def raise_flag(world: StaffWorld, license_id: int | None, kind: FlagKind) -> int:
    draft = FlagDraft(
        kind,
        Severity.HIGH,
        license_id,
        int(world.clock.now),
        evidence={"networks": ["198.51.100.0/24"], "machines": 7},
        scope="" if license_id else "198.51.100.0/24",
    )
    (flag_id,) = await world.store.raise_flags([FlagRaise(draft, START + 30 * 86400)])
    return flag_id


async def build_scene(world: StaffWorld) -> Scene:
    scene = Scene(world)
    acme_key, acme = await world.add_license(org="acme", seats=313)
    globex_key, globex = await world.add_license(org="globex", seats=777)
    scene.acme_license, scene.globex_license = acme.id, globex.id
    for i in range(3):
        await world.checkin(acme_key, f"acme-machine-{i:04d}")
    for i in range(5):
        await world.checkin(globex_key, f"globex-machine-{i:04d}")
    await world.store.sample_seats()
    kinds = list(FlagKind)[:8]
    scene.acme_flags = [await raise_flag(world, acme.id, kind) for kind in kinds]
    scene.globex_flag = await raise_flag(world, globex.id, FlagKind.SEAT_OVERUSE)
    await raise_flag(world, None, FlagKind.KEY_GUESSING)
    for role in ROLES:
        await world.add_user(role, role, "acme" if role == "customer" else None)
    await world.add_user("globex-customer", "customer", "globex")
    await world.add_user("spare", "support")
    for name in [*ROLES, "globex-customer"]:
        scene.tokens[name] = await add_token(world, name)
    return scene


async def add_token(world: StaffWorld, username: str) -> str:
    secret = new_api_token()
    await world.store.add_api_token(username, "tests", token_hash(secret), None, actor="cli:t")
    return secret
