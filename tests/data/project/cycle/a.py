from b import real, spin_b


def spin_a(z):
    return spin_b(z)


def via(z):
    return real(z)
