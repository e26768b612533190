"""Fixed-template documents (转递通知单, 借阅告知单, 证明, later 目录 and 报表) as real PDFs: one mechanism."""
