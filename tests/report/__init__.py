"""The report formats for CI systems: SARIF and GitLab Code Quality."""
