"""The operational schema (业务库). Importing this package registers every table on `Base.metadata`."""
from .base import Base
from .reference import Agency, CodeItem, Division, Synonym
from .security import (Group, PasswordHistory, Permission, PermissionView, RegisterUser, Role,
                       RoleConfirmation, RolePolicy, User, UserPermission, ViewMenu)
from .keys import PiiKey
from .unit import Unit, UnitAccount
from .person import Person, PersonFamily, PersonStudy, PersonTitle, PersonWork
from .transfer import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut
from .warehouse import (ArchiveConsultation, InventoryMark, MaterialUse, MonitorEvent, Stocktake,
                        StocktakeItem)
from .materials import ArchiveMaterial, DigitalImage, ImageOperationLog
from .party import PartyDuesPayment, PartyMember, PartyOrgTransfer
from .household import CollectiveHukou, HukouCardLoan, HukouDependent
from .service import AgencySigningKey, Certificate, DocSequence, Notice, NoticeRead, NoticeRecipient, NoticeTemplate, Todo, UserShortcut
from .audit import AuditChainHead, AuditLog
from .quality import LoadState, QuarantineRow, RepairLog, ReviewItem, RunStat, SettledPair
from .attachment import ATTACHMENT_OWNERS, Attachment
from .statistics import StatsSavedQuery
from . import counting  # noqa: F401  (the workbench's counting indexes)

__all__ = [name for name in dir() if not name.startswith("_")]
