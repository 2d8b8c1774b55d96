"""bip340.py: a small pure-Python BIP-340 Schnorr verifier for the tests.

Written after the reference code of BIP-340 (standard library only) so that
the functional tests can check treasuryd's Schnorr signatures and the worked
examples of docs/signing.md without trusting libsecp256k1. It is slow and
not constant time: it handles only public data and is for tests only.
"""

import hashlib
from typing import Optional, Tuple

p = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)

Point = Optional[Tuple[int, int]]


def tagged_hash(tag: str, msg: bytes) -> bytes:
    """H_tag(msg) = SHA256(SHA256(tag) || SHA256(tag) || msg)."""
    tag_hash = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(tag_hash + tag_hash + msg).digest()


def point_add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and p1[1] != p2[1]:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] * pow(2 * p1[1], p - 2, p)) % p
    else:
        lam = ((p2[1] - p1[1]) * pow(p2[0] - p1[0], p - 2, p)) % p
    x3 = (lam * lam - p1[0] - p2[0]) % p
    return (x3, (lam * (p1[0] - x3) - p1[1]) % p)


def point_mul(pt: Point, k: int) -> Point:
    r = None
    for i in range(256):
        if (k >> i) & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
    return r


def lift_x(x: int) -> Point:
    """The point with x coordinate x and an even y, or None."""
    if x >= p:
        return None
    y_sq = (pow(x, 3, p) + 7) % p
    y = pow(y_sq, (p + 1) // 4, p)
    if pow(y, 2, p) != y_sq:
        return None
    return (x, y if y & 1 == 0 else p - y)


def schnorr_verify(msg: bytes, pubkey: bytes, sig: bytes) -> bool:
    """BIP-340 verification of sig (64 bytes) by the x-only pubkey
    (32 bytes) over msg (any length)."""
    if len(pubkey) != 32:
        raise ValueError("the public key must be a 32-byte array")
    if len(sig) != 64:
        raise ValueError("the signature must be a 64-byte array")
    P = lift_x(int.from_bytes(pubkey, "big"))
    r = int.from_bytes(sig[0:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    if P is None or r >= p or s >= n:
        return False
    e = int.from_bytes(tagged_hash("BIP0340/challenge", sig[0:32] + pubkey + msg),
                       "big") % n
    R = point_add(point_mul(G, s), point_mul(P, n - e))
    if R is None or R[1] % 2 != 0 or R[0] != r:
        return False
    return True


def pubkey_gen(seckey: bytes) -> bytes:
    """The x-only public key of a 32-byte secret key (for test fixtures)."""
    d0 = int.from_bytes(seckey, "big")
    if not 1 <= d0 <= n - 1:
        raise ValueError("the secret key must be an integer in 1..n-1")
    P = point_mul(G, d0)
    assert P is not None
    return P[0].to_bytes(32, "big")


def has_even_y(P: Point) -> bool:
    assert P is not None
    return P[1] % 2 == 0


def xor_bytes(b0: bytes, b1: bytes) -> bytes:
    return bytes(x ^ y for (x, y) in zip(b0, b1))


def schnorr_sign(msg: bytes, seckey: bytes, aux_rand: bytes) -> bytes:
    """BIP-340 signing of msg (any length) by a 32-byte secret key with
    32 bytes of auxiliary randomness, as in the BIP's reference code.
    For tests only: slow and not constant time."""
    d0 = int.from_bytes(seckey, "big")
    if not 1 <= d0 <= n - 1:
        raise ValueError("the secret key must be an integer in 1..n-1")
    if len(aux_rand) != 32:
        raise ValueError("aux_rand must be 32 bytes")
    P = point_mul(G, d0)
    assert P is not None
    d = d0 if has_even_y(P) else n - d0
    t = xor_bytes(d.to_bytes(32, "big"), tagged_hash("BIP0340/aux", aux_rand))
    px = P[0].to_bytes(32, "big")
    k0 = int.from_bytes(tagged_hash("BIP0340/nonce", t + px + msg), "big") % n
    if k0 == 0:
        raise RuntimeError("failure: this happens only with negligible probability")
    R = point_mul(G, k0)
    assert R is not None
    k = n - k0 if not has_even_y(R) else k0
    rx = R[0].to_bytes(32, "big")
    e = int.from_bytes(tagged_hash("BIP0340/challenge", rx + px + msg), "big") % n
    sig = rx + ((k + e * d) % n).to_bytes(32, "big")
    if not schnorr_verify(msg, px, sig):
        raise RuntimeError("the created signature does not pass verification")
    return sig
