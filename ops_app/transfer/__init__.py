"""档案转递 (附件 三.2): 档案转入, 档案转出 (+ 转递通知单, 回执, 撤销), 档案借阅 (+ 借阅告知单, 归还) — pages and API."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import LoanApi, TransferInApi, TransferOutApi
    from .views import (LoanNoticeView, LoanView, PersonalTransferOutView, TransferInView, TransferNoticeView,
                        TransferOutView)
    for view in (TransferInView, TransferOutView, PersonalTransferOutView, LoanView, TransferNoticeView,
                 LoanNoticeView):
        appbuilder.add_view_no_menu(view)
    for api in (TransferInApi, TransferOutApi, LoanApi):
        appbuilder.add_api(api)
