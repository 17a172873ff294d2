"""heat-engine, as /usr/bin/heat-engine runs it, with corrections.py's stored contexts.
Run as heat-engine is: heat-engine.py --config-file … --log-file …"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corrections  # noqa: E402

corrections.stored_context_keeps_sanitised_roles()

from heat.cmd.engine import main  # noqa: E402

sys.argv[0] = "heat-engine"
sys.exit(main())
