package repair

// Chinese, Japanese and Korean words of the lexicon. These scripts write
// compounds without spaces ("取引先コード", "创建时间"); the lexer's
// segmentation splits them into the words below, as it splits German
// compounds, and the words read as the same concept words as their
// European counterparts.
var cjkConcepts = map[string]string{
	// Japanese: records
	"取引先": "account", "顧客": "account", "会社": "account", "企業": "account", "法人": "account", "得意先": "account",
	"商談": "opportunity", "案件": "opportunity", "見込み客": "lead", "見込客": "lead", "リード": "lead",
	"連絡先": "contact", "請求書": "invoice", "請求": "invoice", "活動": "activity", "会議": "meeting",
	"打ち合わせ": "meeting", "タスク": "task",
	// Japanese: fields
	"名": "name", "名前": "name", "名称": "name", "氏名": "fullname", "姓": "last name", "苗字": "last name",
	"業種": "industry", "従業員数": "employees", "従業員": "employees", "社員数": "employees",
	"年商": "revenue", "売上": "revenue", "売上高": "revenue", "国": "country", "国名": "country",
	"親会社": "parent", "親": "parent", "登録日": "created date", "作成日": "created date", "作成日時": "created date",
	"登録": "created", "作成": "created", "更新日時": "updated date", "更新日": "updated date", "更新": "updated",
	"日時": "date", "日付": "date", "電話番号": "phone", "電話": "phone", "携帯": "mobile", "携帯電話": "mobile",
	"メール": "email", "メールアドレス": "email", "ウェブサイト": "website", "ホームページ": "website",
	"住所": "address", "通貨": "currency", "金額": "amount", "合計": "total", "消費税": "tax", "税": "tax",
	"確度": "probability", "受注確度": "probability", "フェーズ": "stage", "ステージ": "stage", "段階": "stage",
	"完了予定日": "close date", "受注予定日": "close date", "受注日": "won date", "件名": "subject",
	"種別": "type", "種類": "type", "区分": "type", "状態": "status", "ステータス": "status", "期日": "due",
	"支払期限": "due", "発行日": "issued date", "請求日": "issued date", "支払日": "paid date", "入金日": "paid date",
	"残高": "balance", "未払": "remaining", "番号": "number", "コード": "code", "役職": "title",
	"担当者": "owner", "営業担当者": "owner", "営業担当": "owner", "担当": "owner", "所有者": "owner",
	"所要時間": "duration", "時間": "duration",
	// Chinese (simplified and traditional)
	"客户": "account", "客戶": "account", "公司": "account", "企业": "account", "商机": "opportunity",
	"商機": "opportunity", "线索": "lead", "線索": "lead", "联系人": "contact", "聯絡人": "contact",
	"发票": "invoice", "發票": "invoice", "活动": "activity", "姓名": "fullname",
	"电话": "phone", "電話號碼": "phone", "电话号码": "phone", "手机": "mobile", "手機": "mobile", "邮箱": "email",
	"郵箱": "email", "电子邮件": "email", "電子郵件": "email", "网站": "website", "網站": "website", "网址": "website",
	"国家": "country", "國家": "country", "行业": "industry", "行業": "industry", "员工数": "employees",
	"員工數": "employees", "员工人数": "employees", "年收入": "revenue", "营业额": "revenue", "收入": "revenue",
	"总额": "total", "總額": "total", "币种": "currency", "幣種": "currency", "货币": "currency",
	"阶段": "stage", "階段": "stage", "概率": "probability", "赢率": "probability", "负责人": "owner",
	"負責人": "owner", "创建时间": "created date", "建立時間": "created date", "创建日期": "created date",
	"创建": "created", "更新时间": "updated date", "更新時間": "updated date", "修改时间": "updated date",
	"时间": "date", "日期": "date", "金额": "amount", "编号": "number", "編號": "number", "编码": "code",
	"代码": "code", "状态": "status", "狀態": "status", "类型": "type", "類型": "type", "主题": "subject",
	"截止日期": "due date", "到期日": "due date", "开票日期": "issued date", "付款日期": "paid date",
	"币别": "currency", "币种名称": "currency", "销售员": "owner", "业务员": "owner", "修改日期": "updated date",
	"修改": "updated", "余额": "balance", "餘額": "balance", "职位": "title", "職位": "title", "母公司": "parent", "上级公司": "parent",
	// Korean
	"고객": "account", "회사": "account", "거래처": "account", "영업기회": "opportunity", "리드": "lead",
	"연락처": "contact", "청구서": "invoice", "송장": "invoice", "이름": "name", "회사명": "account name",
	"전화": "phone", "전화번호": "phone", "휴대폰": "mobile", "이메일": "email", "웹사이트": "website",
	"국가": "country", "업종": "industry", "직원수": "employees", "매출": "revenue", "금액": "amount",
	"통화": "currency", "단계": "stage", "확률": "probability", "담당자": "owner", "생성일": "created date",
	"등록일": "created date", "수정일": "updated date", "번호": "number", "코드": "code", "상태": "status",
	"유형": "type", "제목": "subject", "마감일": "due date", "발행일": "issued date", "잔액": "balance",
}

func init() {
	for w, c := range cjkConcepts {
		if _, dup := concepts[w]; !dup {
			concepts[w] = c
		}
	}
}
