package repair

// Words of more European languages and of Turkish, Indonesian, Russian
// and Greek, as small businesses head their exports. Latin-script words
// are written as fold leaves them (diacritics off); Cyrillic and Greek
// ones lower-case.
var intlConcepts = map[string]string{
	// Polish
	"kontrahent": "account", "kontrahenta": "account", "kontrahenci": "account", "kontrahentow": "account",
	"klient": "account", "klienta": "account", "klienci": "account", "nazwa": "name", "kod": "code", "numer": "number",
	"firmy": "account", "kraj": "country", "strona": "website", "branza": "industry", "liczba": "count", "pracownikow": "employees",
	"pracownicy": "employees", "opiekun": "owner", "dodania": "created", "utworzenia": "created", "utworzono": "created",
	"modyfikacji": "updated", "zmiany": "updated", "faktury": "invoice", "kwota": "amount", "waluta": "currency",
	"termin": "due", "platnosci": "payment", "zaplacono": "paid", "kontakty": "contact", "szansa": "opportunity",
	"szanse": "opportunity", "etap": "stage", "prawdopodobienstwo": "probability", "imie": "first name",
	"nazwisko": "last name", "stanowisko": "position", "zrodlo": "source", "telefonu": "phone", "wystawienia": "issued",
	// Czech and Slovak
	"cislo": "number", "zakaznik": "account", "zakaznika": "account", "zakaznici": "account", "zakazniku": "account",
	"nazev": "name", "obor": "industry", "cinnosti": "", "pocet": "count", "zamestnancu": "employees", "rocni": "annual",
	"obrat": "revenue", "nadrazena": "parent", "obchodnik": "owner", "vytvoreno": "created", "posledni": "last",
	"zmena": "updated", "splatnost": "due", "splatnosti": "due", "castka": "amount", "mena": "currency",
	"jmeno": "first name", "prijmeni": "last name", "pozice": "position", "zdroj": "source", "stav": "status",
	"prilezitost": "opportunity", "obchody": "opportunity", "pravdepodobnost": "probability",
	"vystaveni": "issued", "uhrazeno": "paid", "kc": "unit",
	// Turkish
	"kayit": "", "tarihi": "date", "tarih": "date", "vade": "due", "cari": "account", "kodu": "code", "genel": "",
	"toplam": "total", "kalan": "remaining", "tutar": "amount", "tutari": "amount", "doviz": "currency", "durum": "status",
	"tahsilat": "paid", "musteri": "account", "musteriler": "account", "adi": "name", "soyadi": "last name",
	"soyad": "last name", "unvan": "position", "eposta": "email", "posta": "email", "ulke": "country", "sektor": "industry",
	"calisan": "employees", "sayisi": "count", "olusturma": "created", "guncelleme": "updated", "firsat": "opportunity",
	"firsatlar": "opportunity", "asama": "stage", "olasilik": "probability", "kapanis": "close", "sorumlu": "owner",
	"kaynak": "source", "faturalar": "invoice", "son": "last", "odeme": "payment",
	// Indonesian and Malay
	"nama": "name", "depan": "first", "belakang": "last", "jabatan": "position", "kode": "code", "perusahaan": "account",
	"pelanggan": "account", "tanggal": "date", "dibuat": "created", "terakhir": "last", "diubah": "updated",
	"telepon": "phone", "surel": "email", "negara": "country", "industri": "industry", "karyawan": "employees",
	"faktur": "invoice", "tagihan": "invoice", "jatuh": "due", "sumber": "source", "peluang": "opportunity",
	"tahap": "stage", "nilai": "value", "pemilik": "owner", "pic": "owner", "kontak": "contact", "prospek": "lead",
	// Swedish, Norwegian, Danish
	"fakturanr": "invoice number", "fakturanummer": "invoice number", "fakturadatum": "issued date",
	"forfallodatum": "due date", "forfallodag": "due date", "betaldatum": "paid date", "kvar": "remaining",
	"summa": "total", "kund": "account", "kunder": "account", "kundnr": "account number", "kundnummer": "account number",
	"namn": "name", "bransch": "industry", "saljare": "owner", "skapad": "created", "andrad": "updated", "fakturor": "invoice",
	"navn": "name", "opprettet": "created", "endret": "updated", "forfall": "due",
	// Russian
	"клиент": "account", "клиенты": "account", "компания": "account", "компании": "account", "сделка": "opportunity",
	"сделки": "opportunity", "название": "name", "наименование": "name", "этап": "stage", "стадия": "stage",
	"сумма": "amount", "валюта": "currency", "вероятность": "probability", "дата": "date", "закрытия": "close",
	"закрыта": "close", "успешна": "won", "выиграна": "won", "ответственный": "owner", "создания": "created",
	"создана": "created", "изменена": "updated", "изменения": "updated", "контакт": "contact", "контакты": "contact",
	"имя": "first name", "фамилия": "last name", "должность": "position", "телефон": "phone", "почта": "email",
	"страна": "country", "отрасль": "industry", "сотрудников": "employees", "источник": "source", "статус": "status",
	"счет": "invoice", "счёт": "invoice", "лид": "lead", "лиды": "lead", "номер": "number", "код": "code",
	// Greek
	"κωδικός": "code", "κωδικος": "code", "όνομα": "name", "ονομα": "name", "επώνυμο": "last name",
	"εταιρεία": "account", "εταιρεια": "account", "θέση": "position", "κινητό": "mobile", "πηγή": "source",
	"κατάσταση": "status", "υπεύθυνος": "owner", "πωλητής": "owner", "ημερομηνία": "date", "καταχώρησης": "created",
	"τηλέφωνο": "phone", "πελάτης": "account", "πελάτες": "account", "χώρα": "country", "ποσό": "amount",
	// Italian, more
	"referente": "contact", "assegnato": "owner", "ora": "date",
}

func init() {
	for w, c := range intlConcepts {
		if _, dup := concepts[w]; !dup {
			concepts[w] = c
		}
	}
}
