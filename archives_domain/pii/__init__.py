"""Personal-data protection (个人信息保护): SM4-GCM encryption, HMAC-SM3 blind
index, masking. Every read and write of an ID or phone number goes through
`archives_domain.pii.codec`."""
from .codec import PiiCodec, PiiError, PiiKeyError
from .keyring import Keyring, load_keyring
from .masking import mask_id, mask_phone, mask_value

__all__ = ["PiiCodec", "PiiError", "PiiKeyError", "Keyring", "load_keyring",
           "mask_id", "mask_phone", "mask_value"]
