"""Signed manifests: what a guard bundle holds (model files and a tenant's policy), signed, verifiable.

- ``document``: the manifest and its signed envelope, in canonical JSON (RFC 8785, ``trueport.canonical``).
- ``keys``: signing keys (RSA and Ed25519) in PEM, key ids, key pairs for ``trueport manifests keygen``.
- ``signers``: the ``Signer`` protocol and ``LocalSigner``; ``kms``: ``KmsSigner`` (AWS KMS ``Sign``).
- ``verify``: ``Verifier``, trusted public keys by key id, with rotation and revocation.
- ``build``: a manifest from a model repository, a policy and a validity period.
- ``config``: the ``manifests:`` settings; ``service``: the server's signer; ``commands``: the CLI.

``document``, ``keys``, ``verify`` and ``build`` import nothing but the standard library,
``cryptography`` and orjson: the edge client (``trueport.edge``) uses them as they are.
"""
