"""`python -m shopflow_qa.cli`: the `shopflow-qa` command."""

from shopflow_qa.cli.main import main

main()
