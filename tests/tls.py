"""A throwaway certificate authority for https peers on loopback: tests hand its file to the
processes that must trust it (SSL_CERT_FILE), as a local test federation would."""

from __future__ import annotations

from pathlib import Path


def tls_files(
    directory: Path, addresses: tuple[str, ...] = ("127.0.0.1",)
) -> tuple[Path, Path]:
    """A throwaway CA and a certificate for `addresses` signed by it (PEM files)."""
    ca_file, (chain,) = tls_chains(directory, [addresses])
    return ca_file, chain


def tls_chains(
    directory: Path, groups: list[tuple[str, ...]]
) -> tuple[Path, list[Path]]:
    """A throwaway CA and, for each group of IP addresses, a certificate naming them (key and
    certificate in one PEM file each, `server{i}.pem`)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chains = []
    for i, addresses in enumerate(groups):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addresses[0])])
            )
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        chain = directory / ("server.pem" if i == 0 else f"server{i}.pem")
        chain.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        chains.append(chain)
    return ca_file, chains
