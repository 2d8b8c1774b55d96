"""signers.py: an independent client-side signer for the functional tests.

Everything a wallet does under docs/signing.md, written again
in Python without calling any of treasuryd's C code: parse and build
canonical proposal texts, tagged hashes (hashlib), proposal ids, vote
digests, ECDSA signatures over the 32-byte digest with python3-cryptography
(forced to low-S, compact r||s or strict DER), a deliberately high-S variant
for negative tests, BIP-340 Schnorr signatures (bip340.py), compressed SEC1
and x-only public keys.

Secret keys here are derived from public labels: TEST ONLY.
"""

import hashlib
import re

import bip340

PROPOSAL_TAG = "treasuryd/proposal/v1"
VOTE_TAG = "treasuryd/vote/v1"
N = bip340.n
HALF_N = N // 2
APPROVE = b"\x01"
REJECT = b"\x02"
DECISION_BYTE = {"approve": APPROVE, "reject": REJECT}

COMMON_KEYS = ("instance", "treasury", "config", "kind", "nonce", "expires")
FIRST_LINE = "treasuryd proposal v1"


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag.encode("ascii")).digest()
    return hashlib.sha256(t + t + msg).digest()


def proposal_id(canonical):
    """Proposal id (32 bytes) of a canonical text (str or bytes)."""
    if isinstance(canonical, str):
        canonical = canonical.encode("utf-8")
    return tagged_hash(PROPOSAL_TAG, canonical)


def vote_digest(pid, decision):
    """Vote digest of a proposal id (32 bytes or 64 hex) and a decision
    ("approve" / "reject")."""
    if isinstance(pid, str):
        pid = bytes.fromhex(pid)
    assert len(pid) == 32
    return tagged_hash(VOTE_TAG, pid + DECISION_BYTE[decision])


# ---- canonical text ----

class CanonicalError(ValueError):
    pass


def parse_canonical(text):
    """Strictly split a canonical text into [(key, value), ...] after the
    first line. Raises CanonicalError on any layout deviation docs/signing.md §3
    forbids (CR, tab, missing final LF, blank line, a line not `key: value`,
    wrong first line)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if "\r" in text or "\t" in text:
        raise CanonicalError("CR or tab in canonical text")
    if not text.endswith("\n"):
        raise CanonicalError("canonical text does not end in LF")
    lines = text[:-1].split("\n")
    if lines[0] != FIRST_LINE:
        raise CanonicalError("first line is %r" % lines[0])
    out = []
    for line in lines[1:]:
        m = re.fullmatch(r"([a-z0-9_.]+): (.*)", line, re.S)
        if not m:
            raise CanonicalError("line is not `key: value`: %r" % line)
        out.append((m.group(1), m.group(2)))
    return out


def canonical_text(pairs):
    """Build a canonical text from [(key, value), ...] (after line 1)."""
    return FIRST_LINE + "\n" + "".join("%s: %s\n" % kv for kv in pairs)


def format_amount(text, decimals):
    """An input amount as canonical text: exactly `decimals` fraction
    digits, no point when decimals is 0 (no float anywhere)."""
    whole, _, frac = text.partition(".")
    assert re.fullmatch(r"0|[1-9][0-9]*", whole), text
    assert len(frac) <= decimals, text
    if decimals == 0:
        return whole
    return whole + "." + frac.ljust(decimals, "0")


def amount_minor(text, decimals):
    """Decimal text to integer minor units."""
    whole, _, frac = text.partition(".")
    assert len(frac) <= decimals, (text, decimals)
    return int(whole) * 10 ** decimals + int(frac.ljust(decimals, "0") or "0")


def minor_text(value, decimals):
    """Integer minor units to canonical decimal text."""
    assert value >= 0
    if decimals == 0:
        return str(value)
    s = str(value).rjust(decimals + 1, "0")
    return s[:-decimals] + "." + s[-decimals:]


def common_lines(instance, treasury, config, kind, nonce, expires):
    return [("instance", instance), ("treasury", treasury),
            ("config", str(config)), ("kind", kind), ("nonce", str(nonce)),
            ("expires", expires)]


def transfer_lines(asset, amount, to, memo):
    return [("asset", asset), ("amount", amount), ("to", to), ("memo", memo)]


def batch_lines(transfers, memo):
    """transfers: [(asset, canonical amount, to, memo), ...]"""
    out = [("transfers", str(len(transfers)))]
    for i, (asset, amount, to, tmemo) in enumerate(transfers, 1):
        out += [("transfer.%d.asset" % i, asset),
                ("transfer.%d.amount" % i, amount),
                ("transfer.%d.to" % i, to),
                ("transfer.%d.memo" % i, tmemo)]
    out.append(("memo", memo))
    return out


def add_signer_lines(name, key_type, pubkey, threshold, signers, memo):
    return [("signer", name), ("key_type", key_type), ("pubkey", pubkey),
            ("threshold", str(threshold)), ("signers", str(signers)),
            ("memo", memo)]


def remove_signer_lines(name, threshold, signers, memo):
    return [("signer", name), ("threshold", str(threshold)),
            ("signers", str(signers)), ("memo", memo)]


def replace_signer_lines(name, key_type, pubkey, memo):
    return [("signer", name), ("key_type", key_type), ("pubkey", pubkey),
            ("memo", memo)]


def set_threshold_lines(threshold, signers, memo):
    return [("threshold", str(threshold)), ("signers", str(signers)),
            ("memo", memo)]


# ---- keys and signatures ----

def _ec():
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    from cryptography.hazmat.primitives import hashes, serialization
    return ec, utils, hashes, serialization


def secret_from_label(label):
    """A TEST ONLY 32-byte secret key derived from a public label."""
    d = int.from_bytes(hashlib.sha256(b"treasuryd test key " +
                                      label.encode()).digest(), "big")
    return (d % (N - 1) + 1).to_bytes(32, "big")


def compact_to_der(sig):
    _, utils, _, _ = _ec()
    return utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                      int.from_bytes(sig[32:], "big"))


class Signer:
    """One signer: a name, a key type and a TEST ONLY secret key."""

    def __init__(self, name, key_type="ecdsa", secret=None, label=None):
        assert key_type in ("ecdsa", "schnorr")
        self.name = name
        self.key_type = key_type
        self.secret = secret or secret_from_label(label or name)
        if key_type == "ecdsa":
            ec, _, _, serialization = _ec()
            self._key = ec.derive_private_key(
                int.from_bytes(self.secret, "big"), ec.SECP256K1())
            self.pubkey = self._key.public_key().public_bytes(
                serialization.Encoding.X962,
                serialization.PublicFormat.CompressedPoint).hex()
            assert len(self.pubkey) == 66
        else:
            self._key = None
            self.pubkey = bip340.pubkey_gen(self.secret).hex()
            assert len(self.pubkey) == 64

    def as_json(self):
        return {"name": self.name, "key_type": self.key_type,
                "pubkey": self.pubkey}

    # ECDSA helpers

    def _ecdsa_rs(self, digest):
        ec, utils, hashes, _ = _ec()
        der = self._key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        r, s = utils.decode_dss_signature(der)
        if s > HALF_N:
            s = N - s
        return r, s

    def sign_digest(self, digest, fmt="compact", high_s=False):
        """Signature bytes over a 32-byte digest. fmt: "compact" or "der"
        (ECDSA only). high_s: make an ECDSA signature with s > n/2 (which
        still verifies mathematically, but the contract refuses it)."""
        assert len(digest) == 32
        if self.key_type == "schnorr":
            assert fmt == "compact" and not high_s
            aux = hashlib.sha256(b"aux" + digest + self.secret).digest()
            return bip340.schnorr_sign(digest, self.secret, aux)
        r, s = self._ecdsa_rs(digest)
        assert 1 <= s <= HALF_N
        if high_s:
            s = N - s
            assert s > HALF_N
        if fmt == "der":
            _, utils, _, _ = _ec()
            return utils.encode_dss_signature(r, s)
        assert fmt == "compact"
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def sign_vote(self, pid, decision="approve", fmt="compact", high_s=False):
        """Hex signature of the vote digest for proposal id pid."""
        return self.sign_digest(vote_digest(pid, decision), fmt, high_s).hex()

    def verify(self, digest, sig):
        """Independent verification (for self-checks)."""
        if self.key_type == "schnorr":
            return bip340.schnorr_verify(digest, bytes.fromhex(self.pubkey), sig)
        ec, utils, hashes, _ = _ec()
        from cryptography.exceptions import InvalidSignature
        if len(sig) == 64:
            sig = compact_to_der(sig)
        try:
            self._key.public_key().verify(
                sig, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            return True
        except InvalidSignature:
            return False


def signers(prefix, spec):
    """Signers from a spec like "eese" (e = ecdsa, s = schnorr) named
    <prefix>-a, <prefix>-b, ... with labels unique to the prefix."""
    out = []
    for i, c in enumerate(spec):
        name = "%s-%s" % (prefix, "abcdefghijklmnopqrstuvwxyz"[i])
        out.append(Signer(name, {"e": "ecdsa", "s": "schnorr"}[c],
                          label="%s/%d" % (prefix, i)))
    return out
