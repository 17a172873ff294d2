#!/usr/bin/python3
"""Drives Debian's python3-pankoclient (the Panko v2 client library) against an events API.

argv: URL. stdout: JSON {"types", "list", "filtered", "page2", "show", "trait_types", "trait_values"}.
No authentication (keystoneauth's noauth plugin): the server's noauth mode takes the caller as admin.
"""
import json
import sys

from keystoneauth1 import noauth
from keystoneauth1 import session
from pankoclient.v2 import client


def main():
    url = sys.argv[1]
    c = client.Client(session=session.Session(auth=noauth.NoAuth(endpoint=url)), endpoint_override=url)
    as_dicts = lambda items: [i.to_dict() if hasattr(i, "to_dict") else i for i in items]
    first = c.event.list(limit=3)
    out = {
        "types": as_dicts(c.event_type.list()),
        "list": as_dicts(first),
        "filtered": as_dicts(c.event.list(filters={"event_type": "compute.instance.exists"})),
        "page2": as_dicts(c.event.list(limit=3, marker=first[-1].message_id)),
        "show": c.event.get(first[0].message_id).to_dict(),
        "trait_types": as_dicts(c.event_trait_description.list("compute.instance.exists")),
        "trait_values": as_dicts(c.event_trait.list("compute.instance.exists", "instance_id")),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
