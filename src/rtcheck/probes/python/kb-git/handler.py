"""KB-GIT: a Function whose sources come from a Git repository: Kyma's launch copies
/git-repository/src/* into the working directory. Several files and a package, imported."""

from greetings import greet


def main(event, context):
    return greet("git")
