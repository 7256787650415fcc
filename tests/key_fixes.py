"""What a refused key's note says has the daemon take a key fixed where the
config sets it (``orders``, ``balance``, ``doctor``): a reload reads the
config again (a ``key`` written in it); the daemon's environment and a key
file systemd hands over (``LoadCredential=``) are its start's, so a restart.
Reload, said for all three, left the daemon on the old key for ``key_env``
and ``key_file``."""

from __future__ import annotations

TAKEN = {
    "key_env": "`systemctl restart smm-tracker` (its environment, the unit's or its "
    "EnvironmentFile's, is read at its start only)",
    "key_file": "`systemctl restart smm-tracker` (a key file the unit hands over with "
    "LoadCredential= is copied at its start only)",
    "key": "`systemctl reload smm-tracker` (the daemon reads it again)",
}
