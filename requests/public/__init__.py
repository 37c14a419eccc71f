"""The privacy centre: the person's side of the portal, outside the admin (see urls.py)."""
