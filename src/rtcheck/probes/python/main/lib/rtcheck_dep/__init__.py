# A dependency installed next to the function's sources (LOAD-DEPS): rtbuild installs requirements.txt
# into $KUBELESS_INSTALL_VOLUME/lib, which the runtime puts on sys.path.


def answer():
    return 'dependency ok'
