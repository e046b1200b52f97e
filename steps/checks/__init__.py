"""What `ha-wizard check` looks at: read-only probes and the judges that grade their output.

Pure data and functions, no I/O: `build(answers, profile)` lists the probes (commands that only read)
and the checks; `grade(...)` turns the probes' results into verdicts with, for each failure, what was
expected, what was found and the commands that fix it (taken from the plan when the plan has them).
The runner (wizard/run/check.py) runs the probes over SSH and renders the verdicts.

The cluster's configuration is read from the CIB's XML (`cibadmin --query`), which is the same from
Pacemaker 1.1 (CentOS 7) to 3.x, rather than from `pcs ... show/config`, whose syntax and output changed
between pcs 0.9 and 0.12. Only the fixes follow the pcs version (they come from the plan).

Laid out as: model.py (probes, results, checks, verdicts, fixes), parse.py (reading probe output),
judges_nodes.py / judges_cluster.py (the judges), plan.py (build, grade).
"""

from steps.checks.model import (
    ANY_DIRECTOR,
    HTTP_MARK,
    RESOURCES,
    SECTIONS,
    VERSIONS_PROBE,
    WEB_PAGE,
    Check,
    CheckPlan,
    Fix,
    FixBook,
    Outcome,
    Probe,
    ProbeResult,
    Verdict,
)
from steps.checks.parse import Cib, crm_mon_online, crm_mon_resources, http_answers, parse_addresses, parse_hosts
from steps.checks.plan import all_commands, build, fix_profile, grade, sections, versions_found

__all__ = ["ANY_DIRECTOR", "HTTP_MARK", "RESOURCES", "SECTIONS", "VERSIONS_PROBE", "WEB_PAGE", "Check", "CheckPlan",
           "Cib", "Fix", "FixBook", "Outcome", "Probe", "ProbeResult", "Verdict", "all_commands", "build",
           "crm_mon_online", "crm_mon_resources", "fix_profile", "grade", "http_answers", "parse_addresses",
           "parse_hosts", "sections", "versions_found"]
