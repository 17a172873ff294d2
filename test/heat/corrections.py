"""Two corrections that Heat 19 (Debian 12's 19.0.0-3) needs to run against the
security updates of Debian 12's other OpenStack packages. Both leave Heat's behaviour
as its authors meant it; neither is needed by a Heat built for these updates.

1. stored contexts (heat-engine): oslo.messaging 14.0.3-0+deb12u1 rebuilds the
   context of every notification from a safe subset of its fields, with the
   context's own class. For Heat's StoredContext (a stack acting through its owner's
   trust: stack creation with reauthentication_auth_method = trusts, and every
   signal, scaling included) the copy has no trust, and serialising it asks Keystone
   for its roles through that missing trust: AuthorizationFailure, and the stack or
   the signal fails. Corrected: a stored context without any credential keeps the
   roles and domains it was built with.

2. EC2 signatures (heat-api-cfn): Keystone 22.0.2-0+deb12u1 and later only validate
   an EC2 signature (POST /v3/ec2tokens) for an admin or a service user, and Heat 19's
   ec2token middleware sends no token: every pre-signed alarm_url or wait condition
   signal gets a 401 from Keystone, a 403 from heat-api-cfn. Corrected: the middleware
   sends a token of Heat's service user ([keystone_authtoken]).
"""


def stored_context_keeps_sanitised_roles():
    from heat.common import context

    load = context.StoredContext._load_keystone_data

    def load_unless_sanitised(self):
        if not (self.trust_id or self.auth_token or self.auth_token_info or self.password):
            self._keystone_loaded = True
            return
        load(self)

    context.StoredContext._load_keystone_data = load_unless_sanitised


def ec2tokens_with_service_token():
    from keystoneauth1 import loading
    from oslo_config import cfg

    from heat.api.aws import ec2token

    state = {}

    def service_session():
        if "session" not in state:
            # keystonemiddleware registers [keystone_authtoken]'s auth options when it loads
            auth = loading.load_auth_from_conf_options(cfg.CONF, "keystone_authtoken")
            state["session"] = loading.session.Session().load_from_options(auth=auth)
        return state["session"]

    class Requests:
        """What the middleware uses of the requests module, with a service token added."""

        def __getattr__(self, name):
            import requests
            return getattr(requests, name)

        def post(self, url, headers=None, **kwargs):
            import requests
            headers = dict(headers or {})
            headers["X-Auth-Token"] = service_session().get_token()
            return requests.post(url, headers=headers, **kwargs)

    ec2token.requests = Requests()
