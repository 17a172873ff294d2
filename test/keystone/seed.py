"""Creates, idempotently, what tally's keystone tests need in a bootstrapped Keystone:
projects proj-a, proj-b and service; users alice (member of proj-a), bob (member of
proj-b) and tally (admin in service, the service user that validates tokens).
Passwords are (re)set on every run. Prints KEY=VALUE lines: the ids the tests check.
Run with Debian's /usr/bin/python3 (python3-keystoneclient). Settings from env.sh's
variables, exported by up.sh."""
import os

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

env = os.environ
url = env["KS_URL"]
auth = v3.Password(auth_url=url, username="admin", password=env["KS_ADMIN_PASSWORD"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
# the catalog of a loopback test instance points back at url: use it as is
ks = client.Client(session=session.Session(auth=auth), endpoint_override=url, interface="public")


def first(items):
    return items[0] if items else None


def project(name, description):
    return first(ks.projects.list(name=name, domain="default")) or ks.projects.create(
        name, "default", description=description)


def user(name, password, default_project):
    u = first(ks.users.list(name=name, domain="default"))
    if u is None:
        return ks.users.create(name, domain="default", password=password, default_project=default_project)
    return ks.users.update(u, password=password, default_project=default_project, enabled=True)


def role(name):
    return first(ks.roles.list(name=name)) or ks.roles.create(name)


admin_role, member_role = role("admin"), role("member")
proj_a = project("proj-a", "tally tests: alice's project")
proj_b = project("proj-b", "tally tests: bob's project")
service = project("service", "service users")
admin_project = project("admin", "bootstrap's admin project")
alice = user("alice", env["KS_ALICE_PASSWORD"], proj_a)
bob = user("bob", env["KS_BOB_PASSWORD"], proj_b)
tally = user("tally", env["KS_TALLY_PASSWORD"], service)
admin = first(ks.users.list(name="admin", domain="default"))
# grants are idempotent (PUT)
ks.roles.grant(member_role, user=alice, project=proj_a)
ks.roles.grant(member_role, user=bob, project=proj_b)
ks.roles.grant(admin_role, user=tally, project=service)

for key, value in [("PROJ_A_ID", proj_a.id), ("PROJ_B_ID", proj_b.id), ("SERVICE_PROJECT_ID", service.id),
                   ("ADMIN_PROJECT_ID", admin_project.id), ("ALICE_ID", alice.id), ("BOB_ID", bob.id),
                   ("TALLY_ID", tally.id), ("ADMIN_ID", admin.id)]:
    print(f"{key}={value}")
