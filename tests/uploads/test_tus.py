"""Header grammar of tus 1.0.0: metadata, checksums, sizes, version, content type."""

import base64
import hashlib

import pytest

from core.errors import ApplicationError, PreconditionFailedError, UnsupportedMediaTypeError
from uploads.tus import (
    ensure_offset_content_type,
    ensure_tus_version,
    parse_checksum,
    parse_metadata,
    parse_non_negative,
)


def test_parse_metadata__pairs_and_key_without_value():
    header = "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, filetype aW1hZ2UvcG5n"

    assert parse_metadata(header) == {
        "filename": "world_domination_plan.pdf",
        "is_confidential": None,
        "filetype": "image/png",
    }


@pytest.mark.parametrize("header", [None, "", "  "])
def test_parse_metadata__absent__empty(header):
    assert parse_metadata(header) == {}


@pytest.mark.parametrize(
    "header",
    [
        "a YQ==,a YQ==",  # duplicate key
        "a YQ== extra",  # three parts
        ",a YQ==",  # empty key
        "a %%%",  # not base64
        "a " + base64.b64encode(b"\xff\xfe").decode(),  # not UTF-8
        "clé YQ==",  # non-ASCII key
        "a " + "A" * 5000,  # too long
    ],
)
def test_parse_metadata__malformed__400(header):
    with pytest.raises(ApplicationError) as error:
        parse_metadata(header)

    assert error.value.code == "metadata_invalid"


def test_parse_checksum__sha1__digest_checked():
    digest = hashlib.sha1(b"abc").digest()  # noqa: S324 - the protocol's checksum, not a security control
    checksum = parse_checksum(f"sha1 {base64.b64encode(digest).decode()}")
    hasher = checksum.new_hasher()
    hasher.update(b"abc")

    assert checksum.algorithm == "sha1"
    assert checksum.matches(hasher)


def test_parse_checksum__absent__none():
    assert parse_checksum(None) is None


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("sha256", "checksum_invalid"),
        ("sha256 !!!", "checksum_invalid"),
        ("sha256 " + base64.b64encode(b"short").decode(), "checksum_invalid"),
        ("crc32 AAAAAA==", "checksum_algorithm_unsupported"),
    ],
)
def test_parse_checksum__malformed__400(header, code):
    with pytest.raises(ApplicationError) as error:
        parse_checksum(header)

    assert error.value.code == code


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (" 42 ", 42), ("9223372036854775807", 2**63 - 1)])
def test_parse_non_negative__valid(value, expected):
    assert parse_non_negative(value, "Upload-Offset") == expected


@pytest.mark.parametrize("value", ["-1", "1.5", "", "١٢", "99999999999999999999"])
def test_parse_non_negative__invalid__400(value):
    with pytest.raises(ApplicationError) as error:
        parse_non_negative(value, "Upload-Offset")

    assert error.value.code == "upload_offset_invalid"


def test_ensure_tus_version__other_version__412_naming_ours():
    with pytest.raises(PreconditionFailedError) as error:
        ensure_tus_version("2.0.0")

    assert error.value.headers == {"Tus-Version": "1.0.0"}


def test_ensure_offset_content_type__with_parameters__accepted():
    ensure_offset_content_type("Application/Offset+Octet-Stream; charset=binary")

    with pytest.raises(UnsupportedMediaTypeError):
        ensure_offset_content_type(None)
