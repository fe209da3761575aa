"""licmon's desktop client: licensing that stays invisible while all is well.

```python
from pathlib import Path
from licmon.client import LicenseClient, TrustedKeys, default_state_dir

keys = TrustedKeys.from_file(Path("licmon-jwks.json"))   # shipped with the program
with LicenseClient("https://licenses.example.com", key, "viewer", trusted_keys=keys,
                   state_dir=default_state_dir("viewer")) as client:
    if not client.licensed:
        show(client.status.message)   # plain words: why not
```

``AsyncLicenseClient`` is the same for asyncio programs (``async with``).

Trust model. A lease is accepted only when its EdDSA signature matches a trusted Ed25519
key, its ``aud`` is the product, ``machine`` this computer and ``nonce`` the one just sent.
The trusted keys are either

- *pinned* (``trusted_keys=``): the program ships the server's public keys; a fake server
  can never mint a lease. Recommended for every release build. To rotate, ship the next key
  before the server signs with it.
- *trusted on first use*: without ``trusted_keys`` the client fetches the server's JWKS the
  first time and, with a ``state_dir``, keeps it owner-only and accepts no other key after
  that. This protects every later run from a fake server, not the very first contact, and
  not against someone who can delete the file; a server key rotation then needs the new key
  pinned, or the file removed.

The denial answer itself is not signed: someone who can answer in the server's place can
refuse service, as they could by blocking the network.

Only the standard library, aiohttp, PyJWT, cryptography and ``licmon.domain.license_keys``
(the offline typo check) are imported: the server's parts are not needed.
"""

import os
import sys
from pathlib import Path

from licmon.client.aio import AsyncLicenseClient, check_key
from licmon.client.fingerprint import machine_fingerprint
from licmon.client.lease import Lease, LeaseRejected, TrustedKeys, verify_lease
from licmon.client.status import State, Status
from licmon.client.sync import LicenseClient
from licmon.client.transport import ClientError, KeyTypo, Timing

__all__ = [
    "AsyncLicenseClient",
    "ClientError",
    "KeyTypo",
    "Lease",
    "LeaseRejected",
    "LicenseClient",
    "State",
    "Status",
    "Timing",
    "TrustedKeys",
    "check_key",
    "default_state_dir",
    "machine_fingerprint",
    "verify_lease",
]


def default_state_dir(app: str) -> Path:
    """Where a program keeps its lease: the platform's per-user application state folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / app / "licmon"
