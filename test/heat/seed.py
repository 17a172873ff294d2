"""Registers Heat in a Keystone that test/keystone/up.sh bootstrapped and seeded,
idempotently, as a deployment does:

- user heat (Default domain), admin in project service: Heat's service user, which
  validates tokens and is the trustee of the trusts Heat takes from stack owners;
- roles heat_stack_owner (granted to alice in proj-a: the role deployments give to
  those who may create stacks) and heat_stack_user (what Heat gives the users it
  creates for its stacks);
- domain HEAT_DOMAIN with its admin heat_domain_admin (admin on the domain): Heat
  creates the users and projects of its stacks there (signals, EC2 keys);
- services orchestration (heat) and cloudformation (heat-cfn), with public, internal
  and admin endpoints in RegionOne.

With TALLY_URL set, also the services metric (gnocchi) and alarming (aodh) at that URL:
a tally all-in-one as a deployment registers Gnocchi and Aodh. `--catalog-only` does only
that (up.sh, when Heat is already running).

Passwords are (re)set on every run. Prints KEY=VALUE lines. Run with Debian's
/usr/bin/python3 (python3-keystoneclient); settings from env.sh, exported by up.sh."""
import os
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

env = os.environ
url = env["KS_URL"]
auth = v3.Password(auth_url=url, username="admin", password=env["KS_ADMIN_PASSWORD"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
ks = client.Client(session=session.Session(auth=auth), endpoint_override=url, interface="public")


def first(items):
    return items[0] if items else None


def role(name):
    return first(ks.roles.list(name=name)) or ks.roles.create(name)


def user(name, password, domain, **kw):
    u = first(ks.users.list(name=name, domain=domain))
    if u is None:
        return ks.users.create(name, domain=domain, password=password, **kw)
    return ks.users.update(u, password=password, enabled=True, **kw)


def service(kind, name, description, endpoint):
    s = first(ks.services.list(type=kind)) or ks.services.create(name, type=kind, description=description)
    for interface in ("public", "internal", "admin"):
        mine = [e for e in ks.endpoints.list(service=s, interface=interface) if e.region_id == "RegionOne"]
        if mine and mine[0].url == endpoint:
            for extra in mine[1:]:
                ks.endpoints.delete(extra)
            continue
        for e in mine:
            ks.endpoints.delete(e)
        ks.endpoints.create(s, endpoint, interface=interface, region="RegionOne")
    return s


if env.get("TALLY_URL"):
    service("metric", "gnocchi", "Metric Service", env["TALLY_URL"])
    service("alarming", "aodh", "Alarming Service", env["TALLY_URL"])
if "--catalog-only" in sys.argv:
    raise SystemExit(0)

admin_role, member_role = role("admin"), role("member")
owner_role, stack_user_role = role("heat_stack_owner"), role("heat_stack_user")
service_project = first(ks.projects.list(name="service", domain="default"))
proj_a = first(ks.projects.list(name="proj-a", domain="default"))
alice = first(ks.users.list(name="alice", domain="default"))
if service_project is None or proj_a is None or alice is None:
    raise SystemExit("seed.py: run test/keystone/up.sh first (no project service, proj-a or user alice)")

heat = user("heat", env["HEAT_PASSWORD"], "default", default_project=service_project)
ks.roles.grant(admin_role, user=heat, project=service_project)
ks.roles.grant(owner_role, user=alice, project=proj_a)

domain = first(ks.domains.list(name=env["HEAT_DOMAIN"])) or ks.domains.create(
    env["HEAT_DOMAIN"], description="Owns the users and projects Heat creates for its stacks")
if not domain.enabled:
    domain = ks.domains.update(domain, enabled=True)
domain_admin = user("heat_domain_admin", env["HEAT_DOMAIN_ADMIN_PASSWORD"], domain,
                    description="Manages the users and projects of the stacks")
ks.roles.grant(admin_role, user=domain_admin, domain=domain)

service("orchestration", "heat", "Orchestration", env["HEAT_URL"] + "/%(tenant_id)s")
service("cloudformation", "heat-cfn", "Orchestration, CloudFormation API", env["HEAT_CFN_URL"])

for key, value in [("HEAT_USER_ID", heat.id), ("HEAT_DOMAIN_ID", domain.id),
                   ("HEAT_DOMAIN_ADMIN_ID", domain_admin.id)]:
    print(f"{key}={value}")
