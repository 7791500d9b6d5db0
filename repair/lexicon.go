package repair

import "strings"

// This file holds the matcher's vocabulary: abbreviations, synonyms and a
// few common non-English business words, all mapped onto a small set of
// concept words, plus the alias phrases of every ontology v1 field written
// in those concept words. The lexicon is general: it describes how CRM,
// ERP, billing and support systems name things, never one particular
// source.

// concepts maps a normalized (lower-case, accent-folded) word onto its
// concept word or words. A value with a space expands into several words.
var concepts = map[string]string{
	// the entities and their synonyms
	"account": "account", "accounts": "account", "acct": "account", "acc": "account", "accnt": "account",
	"company": "account", "companies": "account", "co": "account", "comp": "account",
	"organization": "account", "organisation": "account", "organizations": "account", "org": "account", "orgs": "account",
	"customer": "account", "customers": "account", "cust": "account", "cstmr": "account", "client": "account", "clients": "account",
	"firm": "account", "business": "account",
	"firma": "account", "firmen": "account", "unternehmen": "account", "kunde": "account", "kunden": "account",
	"societe": "account", "entreprise": "account", "empresa": "account", "cliente": "account",
	"bedrijf": "account", "klant": "account", "relatie": "account",
	"opportunity": "opportunity", "opportunities": "opportunity", "opp": "opportunity", "oppty": "opportunity", "opty": "opportunity",
	"deal": "opportunity", "deals": "opportunity", "potential": "opportunity", "potentials": "opportunity",
	"oportunidad": "opportunity", "oportunidade": "opportunity", "opportunite": "opportunity", "verkaufschance": "opportunity",
	"contact": "contact", "contacts": "contact", "cntct": "contact", "ctc": "contact", "person": "contact", "persons": "contact",
	"people": "contact", "who": "contact", "kontakt": "contact", "ansprechpartner": "contact", "contacto": "contact",
	"contato": "contact", "contactpersoon": "contact",
	"lead": "lead", "leads": "lead", "prospect": "lead", "prospects": "lead", "interessent": "lead",
	"activity": "activity", "activities": "activity", "act": "activity", "engagement": "activity", "engagements": "activity",
	"task": "task", "tasks": "task", "event": "event", "events": "event", "call": "call", "calls": "call",
	"meeting": "meeting", "meetings": "meeting", "mtg": "meeting", "appointment": "meeting", "appointments": "meeting",
	"aktivitat": "activity", "aktivitaet": "activity", "actividad": "activity", "atividade": "activity", "activite": "activity",
	"invoice": "invoice", "invoices": "invoice", "inv": "invoice", "bill": "invoice", "bills": "invoice",
	"rechnung": "invoice", "facture": "invoice", "factura": "invoice", "fatura": "invoice", "factuur": "invoice",

	// names and people
	"name": "name", "nm": "name", "nme": "name", "nom": "name", "nombre": "name", "nome": "name", "naam": "name",
	"bezeichnung": "name", "label": "label",
	"first": "first", "fname": "first name", "given": "first", "forename": "first name", "vorname": "first name",
	"prenom": "first name", "voornaam": "first name", "primeiro": "first",
	"last": "last", "lname": "last name", "surname": "last name", "family": "family", "nachname": "last name",
	"apellido": "last name", "apellidos": "last name", "sobrenome": "last name", "achternaam": "last name",
	"full": "full", "display": "display", "legal": "legal",
	"title": "title", "ttl": "title", "jobtitle": "job title", "job": "job", "position": "position", "pos": "position",
	"designation": "position", "role": "role", "berufsbezeichnung": "position", "poste": "position",
	"cargo": "position", "puesto": "position", "functie": "position", "funktion": "role",

	// owners and users
	"owner": "owner", "owners": "owner", "ownership": "ownership", "rep": "owner", "representative": "owner",
	"salesperson": "owner", "salesrep": "owner", "seller": "owner", "manager": "owner", "mgr": "owner",
	"assigned": "owner", "assignee": "owner", "responsible": "owner", "betreuer": "owner", "verantwortlich": "owner",
	"zustandig": "owner", "zustaendig": "owner", "proprietaire": "owner", "responsable": "owner", "commercial": "owner",
	"vendeur": "owner", "vendedor": "owner", "eigenaar": "owner", "dono": "owner", "agent": "owner",
	"user": "user", "usr": "user", "users": "user",
	"parent": "parent", "prnt": "parent", "par": "parent", "mother": "parent", "ultimate": "parent",

	// contact channels
	"email": "email", "emails": "email", "mail": "email", "eml": "email", "correo": "email", "courriel": "email",
	"phone": "phone", "phones": "phone", "telephone": "phone", "tel": "phone", "ph": "phone", "phn": "phone",
	"telf": "phone", "telefon": "phone", "telefono": "phone", "telefone": "phone", "telefoon": "phone", "fon": "phone",
	"mobile": "mobile", "mobil": "mobile", "mob": "mobile", "cell": "mobile", "cellphone": "mobile", "handy": "mobile",
	"portable": "mobile", "movil": "mobile", "celular": "mobile", "gsm": "mobile",
	"fax": "fax", "telefax": "fax",
	"website": "website", "web": "website", "www": "website", "url": "website", "homepage": "website",
	"site": "website", "webseite": "website", "internetseite": "website", "sitio": "website", "pagina": "website",
	"domain": "domain", "domains": "domain", "dominio": "domain",

	// company facts
	"industry": "industry", "ind": "industry", "sector": "industry", "vertical": "industry", "branche": "industry",
	"secteur": "industry", "industria": "industry", "ramo": "industry", "sic": "sic", "naics": "sic",
	"employee": "employee", "employees": "employees", "emp": "employees", "empl": "employees", "emps": "employees",
	"headcount": "headcount", "staff": "employees", "workforce": "employees", "mitarbeiter": "employees",
	"beschaftigte": "employees", "effectif": "employees", "effectifs": "employees", "empleados": "employees",
	"funcionarios": "employees", "werknemers": "employees", "medewerkers": "employees",
	"revenue": "revenue", "revenues": "revenue", "rev": "revenue", "turnover": "revenue", "umsatz": "revenue",
	"ingresos": "revenue", "facturacion": "revenue", "receita": "revenue", "faturamento": "revenue", "omzet": "revenue",
	"annual": "annual", "ann": "annual", "yearly": "annual", "jahres": "annual", "jahr": "annual", "anual": "annual",
	"annuel": "annual", "jaar": "annual",
	"country": "country", "countries": "country", "ctry": "country", "cntry": "country", "nation": "country",
	"land": "country", "pays": "country", "pais": "country",
	"currency": "currency", "curr": "currency", "ccy": "currency", "cur": "currency", "crncy": "currency",
	"wahrung": "currency", "waehrung": "currency", "devise": "currency", "moneda": "currency", "moeda": "currency",
	"valuta": "currency", "iso": "iso",

	// sales
	"stage": "stage", "stages": "stage", "phase": "stage", "etapa": "stage", "fase": "stage", "stadium": "stage",
	"amount": "amount", "amt": "amount", "amnt": "amount", "betrag": "amount", "montant": "amount",
	"importe": "amount", "valor": "amount", "bedrag": "amount", "wert": "amount",
	"value": "value", "val": "value", "total": "total", "tot": "total", "sum": "total", "gross": "total",
	"probability": "probability", "prob": "probability", "likelihood": "probability", "chance": "probability",
	"wahrscheinlichkeit": "probability", "probabilite": "probability", "probabilidad": "probability",
	"probabilidade": "probability", "kans": "probability",
	"close": "close", "closed": "close", "closing": "close", "cierre": "close", "cloture": "close",
	"fechamento": "close", "abschluss": "close", "geschlossen": "close", "cerrado": "close", "cerrada": "close",
	"won": "won", "win": "won", "gewonnen": "won", "ganado": "won", "ganada": "won", "gagne": "won", "ganho": "won",
	"expected": "expected", "exp": "expected",
	"status": "status", "stat": "status", "sts": "status", "state": "state", "statut": "status", "estado": "status",
	"source": "source", "src": "source", "channel": "source", "origin": "source", "herkunft": "source",
	"quelle": "source", "origen": "source", "fuente": "source", "origem": "source", "bron": "source",

	// activities
	"type": "type", "typ": "type", "kind": "type", "tipo": "type", "art": "type", "category": "category",
	"subject": "subject", "subj": "subject", "betreff": "subject", "sujet": "subject", "asunto": "subject",
	"assunto": "subject", "onderwerp": "subject", "topic": "subject", "summary": "summary",
	"duration": "duration", "dur": "duration", "length": "length", "dauer": "duration", "duree": "duration",
	"duracion": "duration", "duracao": "duration", "occurred": "occurred", "happened": "occurred",
	"start": "start", "begin": "start", "scheduled": "scheduled", "due": "due",
	"faellig": "due", "fallig": "due", "echeance": "due", "vencimiento": "due", "vencimento": "due", "vervaldatum": "due date",

	// invoices
	"number": "number", "no": "number", "num": "number", "nbr": "number", "nr": "number", "nummer": "number",
	"numero": "number", "nro": "number", "code": "code", "cd": "code",
	"balance": "balance", "bal": "balance", "remaining": "remaining", "outstanding": "remaining", "open": "open",
	"saldo": "balance", "solde": "balance", "restbetrag": "remaining",
	"paid": "paid", "payment": "payment", "pay": "payment", "bezahlt": "paid", "paye": "paid", "pagado": "paid",
	"pago": "paid", "betaald": "paid",
	"issued": "issued", "issue": "issued", "transaction": "transaction", "txn": "transaction", "trx": "transaction",
	"document": "document", "doc": "document",

	// record keeping
	"created": "created", "create": "created", "creation": "created", "crt": "created", "crtd": "created",
	"cre": "created", "added": "created", "add": "created", "inserted": "created", "entered": "created",
	"erstellt": "created", "angelegt": "created", "erfasst": "created", "creacion": "created", "creado": "created",
	"criacao": "created", "criado": "created", "aangemaakt": "created", "erdat": "created date",
	"updated": "updated", "update": "updated", "upd": "updated", "updt": "updated", "modified": "updated",
	"modify": "updated", "modification": "updated", "mod": "updated", "changed": "updated", "change": "updated",
	"chg": "updated", "edited": "updated", "geaendert": "updated", "geandert": "updated", "modifie": "updated",
	"modifiee": "updated", "actualizado": "updated", "actualizacion": "updated", "atualizado": "updated",
	"gewijzigd": "updated", "modstamp": "updated", "aedat": "updated date",
	"by": "by", "von": "by", "par_": "by",

	// markers and qualifiers (see markerKind)
	"id": "id", "ids": "id", "key": "id", "ref": "id", "reference": "id", "uuid": "id", "guid": "id", "pk": "id",
	"fk": "id", "association": "id", "associations": "id", "identifier": "id", "kunnr": "account number",
	"date": "date", "dt": "date", "dte": "date", "datum": "date", "fecha": "date", "datetime": "date",
	"time": "date", "tm": "date", "timestamp": "date", "ts": "date", "stamp": "date", "at": "date", "on": "date",
	"am": "date", "le": "date", "data": "date", "when": "date", "day": "date", "datum_": "date",
	"is": "is", "has": "is", "flag": "is", "flg": "is", "ind_": "is",
	"count": "count", "cnt": "count", "zahl": "count", "anzahl": "count", "qty": "count", "quantity": "count",
	"percent": "percent", "pct": "percent", "perc": "percent", "percentage": "percent",
	"address": "address", "addr": "address", "adresse": "address", "direccion": "address", "endereco": "address",
	"billing": "billing", "mailing": "billing", "main": "main", "primary": "main", "default": "main",
	"principal": "main", "work": "main", "office": "main", "business_": "main", "hq": "main", "headquarters": "main",
	"secondary": "secondary", "alt": "secondary", "alternate": "secondary", "other": "secondary", "home": "secondary",
	"private": "secondary", "personal": "secondary", "assistant": "secondary",
	"usd": "unit", "eur": "unit", "gbp": "unit", "chf": "unit", "jpy": "unit", "cad": "unit", "aud": "unit",
	"seconds": "unit", "sec": "unit", "secs": "unit", "minutes": "unit", "mins": "unit", "ms": "unit", "millis": "unit",
	"hours": "unit", "hrs": "unit", "minuten": "unit", "sekunden": "unit", "in": "unit_",

	// fillers: vendor prefixes, containers, stop words
	"hs": "", "hubspot": "", "c": "", "x": "", "cf": "", "udf": "", "custom": "", "properties": "", "property": "",
	"props": "", "fields": "", "field": "", "attributes": "", "attribute": "", "attrs": "", "metadata": "", "meta": "",
	"info": "", "details_": "", "object": "", "internal": "", "api": "", "crm": "", "sys": "", "the": "", "of": "",
	"for": "", "to": "", "a": "", "an": "", "de": "", "du": "", "des": "", "la": "", "d": "", "el": "",
	"del": "", "da": "", "do": "", "der": "", "die": "", "das": "", "van": "", "het": "", "et": "", "y": "", "e": "",
	"und": "", "and": "", "csv": "", "export": "", "import": "", "tbl": "", "table": "", "view": "", "dim": "",
	"fact": "", "raw": "", "src_": "", "record": "", "rec_": "", "s": "", "v": "", "v2": "",
	"salesforce": "", "zoho": "", "pipedrive": "", "netsuite": "", "dynamics": "", "sap": "", "mscrm": "",
	"associated": "", "related": "", "linked": "",
	"new": "", "details": "", "value_": "", "item": "", "items": "",
	// more languages and vendor words
	"azienda": "account", "societa": "account", "ditta": "account", "foretag": "account", "bolag": "account",
	"virksomhed": "account", "selskap": "account",
	"fatturato": "revenue", "omsattning": "revenue", "omsetning": "revenue", "omsaetning": "revenue",
	"dipendenti": "employees", "anstallda": "employees", "ansatte": "employees",
	"paese": "country", "nazione": "country",
	"importo": "amount", "monto": "amount", "belopp": "amount", "belob": "amount", "bedrag_": "amount",
	"cognome": "last name", "efternamn": "last name", "etternavn": "last name", "fornavn": "first name", "fornamn": "first name",
	"creazione": "created", "modifica": "updated", "modificacion": "updated", "alta": "created", "erstell": "created",
	"aenderung": "updated", "anderung": "updated", "geandert_": "updated", "wijziging": "updated",
	"settore": "industry", "propietario": "owner", "proprietario": "owner", "titolare": "owner",
	"kundenbetreuer": "owner", "vertriebsmitarbeiter": "owner", "vertrieb": "sales", "sales": "sales",
	"falligkeit": "due", "faelligkeit": "due", "scadenza": "due", "forfall": "due",
	"gesamt": "total", "gesamtbetrag": "total", "brutto": "total", "ttc": "total", "totale": "total",
	"sluiting": "close", "chiusura": "close", "stadio": "stage", "etape": "stage",
	"oggetto": "subject", "durata": "duration", "tipologia": "type",
	"uri": "website", "homepage_": "website", "weburl": "website",
	"ort": "city", "stadt": "city", "ville": "city", "ciudad": "city", "cidade": "city", "citta": "city", "plaats": "city",
	"plz": "postal", "postleitzahl": "postal", "zip": "postal", "postcode": "postal", "cap": "postal",
	"brsch": "industry", "waers": "currency", "netwr": "amount", "ernam": "created by", "erzet": "created time",
	"electronico": "", "electronique": "", "free": "", "form": "", "freeform": "",
	"shipping": "shipping", "delivery": "shipping", "lieferung": "shipping",
	"completed": "completed", "done": "completed",
	// short legacy (AS/400, mainframe) abbreviations
	"cus": "account", "cusno": "account number", "nam": "name", "dat": "date", "sls": "sales", "lmt": "limit",
	"crd": "credit", "cty": "city", "mst": "", "master": "", "typ_": "type", "adr": "address", "amnt_": "amount",
	"write": "updated", "uid": "id", "codice": "code", "codigo": "code", "ruolo": "role", "rol": "role", "funcao": "role",
	"cellulare": "mobile", "telefonino": "mobile", "indirizzo": "address",
	"stg": "stage", "prb": "probability", "cls": "close", "tran": "transaction", "emision": "issued",
	"emission": "issued", "emissao": "issued", "emis": "issued", "facturacion_": "issued", "lst": "last",
	"cmptr": "competitor", "competitor": "competitor",
	// object names in other languages
	"aufgabe": "task", "aufgaben": "task", "termin": "meeting", "termine": "meeting", "anruf": "call", "anrufe": "call",
	"tarea": "task", "tareas": "task", "llamada": "call", "llamadas": "call", "reunion": "meeting", "reuniones": "meeting",
	"tache": "task", "taches": "task", "appel": "call", "appels": "call", "reunions": "meeting", "tarefa": "task",
	"tarefas": "task", "chamada": "call", "chamadas": "call", "reunioes": "meeting", "afspraak": "meeting",
	"afspraken": "meeting", "gesprek": "call", "gesprekken": "call", "attivita": "activity", "chiamata": "call",
	"chiamate": "call", "compito": "task", "compiti": "task", "riunione": "meeting",
	"negocio": "opportunity", "negocios": "opportunity", "trattativa": "opportunity", "trattative": "opportunity",
	"verkaufschancen": "opportunity",
	"bedrijven":       "account", "organisaties": "account", "aziende": "account", "empresas": "account",
	"fatture": "invoice", "fattura": "invoice", "rechnungen": "invoice",
	"fonction": "position", "funcion": "position", "estimated": "expected", "estimate": "expected",
	"est": "expected", "step": "stage", "pd": "paid", "actual": "actual",
	"fnm": "first name", "lnm": "last name", "fst": "first", "own": "owner", "ld": "lead", "dom": "domain",
	"dept": "department", "desc": "description", "loc": "location", "cat": "category", "mid": "middle",
	"inquiry": "lead", "inquiries": "lead", "enquiry": "lead", "enquiries": "lead", "signup": "lead", "signups": "lead",
	"interessenten": "lead", "anfrage": "lead", "anfragen": "lead",
	"soort": "type", "duur": "duration", "medewerker": "owner", "segmento": "industry",
	"cadastro": "created", "frst": "first", "resp": "owner", "party": "account", "expect": "expected",
	"sold": "", "vendedora": "owner", "atualizacao": "updated", "ultima": "last", "ultimo": "last",
	"haupt": "main", "geburt": "birth", "geburts": "birth", "naissance": "birth", "nacimiento": "birth",
	"bearbeiter": "owner", "sachbearbeiter": "owner", "cli": "account", "clt": "account", "reste": "remaining",
	"restant": "remaining", "reglement": "paid", "paiement": "payment", "mt": "amount",
	"kd": "account", "ma": "employees", "assgn": "owner", "asgn": "owner", "entry": "created", "l": "l", "f": "f",
	"crdat": "created date", "chdat": "updated date", "titulo": "title", "titre": "title", "titel": "title",
	"funil": "", "funnel": "",
	"cod": "code", "line": "line",
	"affaire": "opportunity", "affaires": "opportunity", "intitule": "title", "libelle": "title",
	"registered": "created", "registration": "created", "organizer": "owner", "organiser": "owner",
	"host": "owner",
	"taak": "task", "taken": "task", "omschrijving": "description",
	"ins": "created", "insert": "created",
	"monetary":  "",
	"vervaldag": "due", "betaal": "paid", "betaling": "payment", "totaal": "total", "incl": "incl", "inkl": "incl",
	"excl": "net", "exkl": "net", "net": "net", "netto": "net", "btw": "tax", "mwst": "tax", "iva_": "tax", "tva": "tax",
	"openstaand": "remaining", "munt": "currency", "familien": "family", "familienname": "last name",
	"folio": "number", "cuenta": "account", "cuentas": "account", "conta": "account", "ejecutivo": "owner",
	"executive": "owner", "registro": "created",
	"internet": "website", "mutter": "parent", "muttergesellschaft": "parent", "erstellung": "created",
	"besitzer": "owner", "inhaber": "owner", "origine": "source", "ferme": "close", "fermee": "close",
	"objet": "subject", "payee": "paid", "pagada": "paid", "fechado": "close", "fechada": "close",
	"paga": "paid", "modificado": "updated", "mobiel": "mobile", "gesloten": "close", "sito": "website",
	"responsabile": "owner", "qualifica": "title", "stato": "status", "fonte": "source", "vinta": "won",
	"vinto": "won", "chiusa": "close", "chiuso": "close", "pagata": "paid", "gagnee": "won", "ganha": "won",
	"sent": "occurred", "debiteur": "account", "debiteuren": "account", "debitor": "account", "debtor": "account",
	"deudor": "account", "debiteurnummer": "account number", "debitorennummer": "account number",
	"pending": "pending", "vat": "tax", "gst": "tax", "voucher": "invoice", "vouchers": "invoice",
	"min": "unit", "issuing": "issued", "cents": "unit", "duns": "id", "kdnr": "account number", "kundennr": "account number", "kundennummer": "account number",
	"mitarb": "employees", "vertreter": "owner", "konzern": "parent", "anlage": "created", "aend": "updated",
	"lng": "", "str": "", "dtm": "", "bln": "", "dbl": "", "txt": "", "sng": "", "rec": "",
	"including": "incl", "inclusive": "incl", "sid": "id", "year": "annual", "years": "annual", "per": "", "message": "message",
	"unpaid": "remaining", "deadline": "due", "cdate": "created date", "mdate": "updated date", "udate": "updated date", "beleg": "document", "belege": "document", "results": "", "relationships": "", "relationship": "",
	"residuo": "remaining", "residual": "remaining", "restante": "remaining",
	// SAP column and table names (SD documents, customer master)
	"vbeln": "document number", "fkdat": "issued date", "audat": "issued date", "waerk": "currency",
	"kunag": "account id", "kunrg": "account id", "fkart": "type", "auart": "type", "vbtyp": "type",
	"pstlz": "postal", "stras": "address",
	"smtp": "email", "mwsbk": "tax", "gbstk": "status", "rfbsk": "status", "vkorg": "sales", "bukrs": "",
	"vbrk": "invoice", "kna": "account", "vbak": "order", // tables (digits are dropped: KNA1 reads "kna")
	"billed": "issued", "invoiced": "issued", "confidence": "probability", "certainty": "probability",
	"identifiant": "id", "identificador": "id", "identificativo": "id", "identificatie": "id", "kennung": "id",
	"father": "parent", "vater": "parent", "padre": "parent", "pere": "parent", "mere": "parent", "madre": "parent",
}

// phrases rewrite two concept words that together mean a third.
var phrases = map[[2]string]string{
	{"raison", "sociale"}:       "legal name",
	{"chiffre", "affaires"}:     "revenue",
	{"e", "mail"}:               "email",
	{"secteur", "activity"}:     "industry",
	{"industry", "activity"}:    "industry",
	{"number", "employees"}:     "employees",
	{"employees", "count"}:      "employees",
	{"employees", "number"}:     "employees",
	{"employee", "count"}:       "employees",
	{"number", "employee"}:      "employees",
	{"employee", "number"}:      "owner id", // an employee's number: the rep's key, not a headcount
	{"employee", "id"}:          "owner id",
	{"count", "employees"}:      "employees",
	{"headcount", "count"}:      "employees",
	{"sales", "owner"}:          "owner",
	{"sales", "person"}:         "owner",
	{"sales", "contact"}:        "owner", // "person" reads as contact first
	{"account", "owner"}:        "owner",
	{"owner", "user"}:           "owner",
	{"postal", "code"}:          "postal",
	{"sic", "code"}:             "sic", // SIC or NAICS code: the industry itself
	{"tax", "amount"}:           "tax_amount",
	{"amount", "tax"}:           "tax_amount",
	{"tax", "total"}:            "tax_amount",
	{"incl", "tax"}:             "",         // "Totaal incl. BTW": the gross total, not the tax
	{"message", "date"}:         "occurred", // an e-mail's date is when it happened
	{"remaining", "payment"}:    "remaining",
	{"due", "amount"}:           "amount_due",
	{"direct", "line"}:          "phone",
	{"direct", "phone"}:         "phone",
	{"total", "amount_due"}:     "amount_due",
	{"payment", "pending"}:      "remaining",
	{"pending", "payment"}:      "remaining",
	{"total", "remaining"}:      "remaining",
	{"zip", "code"}:             "postal",
	{"account", "number"}:       "account id",
	{"document", "number"}:      "number",
	{"invoice", "number"}:       "invoice number",
	{"legal", "name"}:           "name",
	{"display", "name"}:         "name",
	{"full", "name"}:            "fullname",
	{"job", "title"}:            "title",
	{"stage", "name"}:           "stage",
	{"first", "name"}:           "first_name",
	{"last", "name"}:            "last_name",
	{"family", "name"}:          "last_name",
	{"given", "name"}:           "first_name",
	{"annual", "revenue"}:       "revenue",
	{"currency", "iso"}:         "currency",
	{"iso", "currency"}:         "currency",
	{"currency", "code"}:        "currency",
	{"amount", "remaining"}:     "remaining",
	{"amount", "due"}:           "amount_due",
	{"balance", "due"}:          "remaining",
	{"open", "amount"}:          "remaining",
	{"total", "amount"}:         "total",
	{"amount", "total"}:         "total",
	{"grand", "total"}:          "total",
	{"closed", "won"}:           "won",
	{"close", "won"}:            "won",
	{"due", "date"}:             "due",
	{"lead", "source"}:          "lead_source",
	{"modified", "by"}:          "updated by",
	{"last", "updated"}:         "updated",
	{"system", "updated"}:       "system_updated",
	{"expected", "close"}:       "close",
	{"expected", "revenue"}:     "expected_revenue",
	{"web", "site"}:             "website",
	{"website", "website"}:      "website",
	{"domain", "name"}:          "domain",
	{"main", "phone"}:           "phone",
	{"business", "phone"}:       "phone",
	{"phone", "number"}:         "phone",
	{"email", "address"}:        "email",
	{"country", "code"}:         "country",
	{"country", "iso"}:          "country",
	{"call", "duration"}:        "duration",
	{"activity", "type"}:        "type",
	{"stage", "probability"}:    "probability",
	{"win", "probability"}:      "probability",
	{"payment", "date"}:         "paid",
	{"transaction", "date"}:     "issued",
	{"document", "date"}:        "issued",
	{"invoice", "date"}:         "issued",
	{"billing", "date"}:         "issued",
	{"issued", "date"}:          "issued",
	{"parent", "account"}:       "parent",
	{"payment", "status"}:       "status",
	{"paid", "status"}:          "status",
	{"scheduled", "start"}:      "start",
	{"chiffre", "opportunity"}:  "revenue",
	{"annual", "sales"}:         "revenue",
	{"main", "line"}:            "phone",
	{"raz", "soc"}:              "legal name",
	{"f", "name"}:               "first_name",
	{"l", "name"}:               "last_name",
	{"close", "probability"}:    "probability",
	{"owner", "employees"}:      "owner",
	{"main", "number"}:          "phone",
	{"mobile", "number"}:        "mobile",
	{"mobile", "phone"}:         "mobile",
	{"expected", "value"}:       "value",
	{"expected", "amount"}:      "amount",
	{"next", "stage"}:           "next_step",
	{"transaction", "currency"}: "currency",
	{"probability", "percent"}:  "probability",
	{"ragione", "sociale"}:      "legal name",
	{"razao", "social"}:         "legal name",
	{"razon", "social"}:         "legal name",
	{"pipeline", "stage"}:       "stage",
	{"sales", "stage"}:          "stage",
	{"partita", "iva"}:          "vat",
}

// markerKind classifies concept words that qualify a name rather than name
// a thing: id markers, temporal markers, boolean markers, units and
// qualifiers that the scorer reads as flags.
var markerKind = map[string]string{
	"id": "idref", "date": "temporal", "is": "boolean", "unit": "unit", "unit_": "unit",
	"billing": "qualifier", "main": "qualifier", "address": "qualifier",
}

// secondaryWords mark a field as a secondary variant (a home or other
// phone) that loses to the primary one.
var secondaryWords = map[string]bool{"secondary": true, "shipping": true}

// entityWords maps the concept words that name an entity onto it, with the
// strength of the evidence when the word names a source object: an
// opportunity is always an opportunity, a customer may be a company or a
// person.
var entityWords = map[string]struct {
	entity   string
	strength float64
}{
	"account":     {"account", 5},
	"opportunity": {"opportunity", 5},
	"contact":     {"contact", 5},
	"lead":        {"lead", 5},
	"activity":    {"activity", 5},
	"task":        {"activity", 5},
	"event":       {"activity", 5},
	"call":        {"activity", 5},
	"meeting":     {"activity", 5},
	"invoice":     {"invoice", 5},
	"email":       {"activity", 2},
	"note":        {"activity", 3},
}

// foreignObjects are business objects outside the ontology. An object
// whose head word (its last content word) is one of them maps onto no
// entity, and all its fields onto nothing: a support ticket is not an
// activity, an order line is not an invoice.
var foreignObjects = map[string]bool{
	"product": true, "item": true, "items": true, "line": true, "lines": true, "ticket": true, "tickets": true,
	"case": true, "cases": true, "campaign": true, "campaigns": true, "subscription": true, "subscriptions": true,
	"plan": true, "plans": true, "price": true, "prices": true, "quote": true, "quotes": true, "order": true,
	"orders": true, "pipeline": true, "pipelines": true, "stage": true, "stages": true,
	"owner": true, "owners": true, "team": true, "teams": true, "territory": true, "territories": true,
	"payment": true, "payments": true, "refund": true, "refunds": true, "charge": true, "charges": true,
	"payout": true, "payouts": true, "coupon": true, "coupons": true, "discount": true, "discounts": true,
	"tax": true, "taxes": true, "webhook": true, "webhooks": true, "setting": true, "settings": true,
	"currency": true, "currencies": true, "warehouse": true, "inventory": true, "shipment": true,
	"shipments": true, "vendor": true, "vendors": true, "supplier": true, "suppliers": true, "lieferant": true,
	"lieferanten": true, "fournisseur": true, "fournisseurs": true, "proveedor": true, "proveedores": true,
	"employee": true, "employees": true, "member": true, "members": true, "relation": true, "relations": true,
	"estimate": true, "estimates": true, "history": true, "histories": true, "audit": true, "snapshot": true, "snapshots": true,
	"article": true, "articles": true, "artikel": true, "produkt": true, "produkte": true,
	"issue": true, "issues": true, "bug": true, "bugs": true, "story": true, "stories": true, "epic": true,
	"epics": true, "sprint": true, "sprints": true, "project": true, "projects": true, "incident": true,
	"incidents": true, "milestone": true, "milestones": true, "release": true, "releases": true,
	"deployment": true, "deployments": true, "build": true, "builds": true, "commit": true, "commits": true,
	"repository": true, "repositories": true, "alert": true, "alerts": true, "asset": true, "assets": true,
	"device": true, "devices": true, "attachment": true, "attachments": true, "contract": true, "contracts": true,
	"journal": true, "journals": true, "ledger": true, "ledgers": true,
	"candidate": true, "candidates": true, "applicant": true, "applicants": true, "application": true,
	"applications": true, "job": true, "jobs": true, "posting": true, "postings": true, "interview": true,
	"interviews": true, "scorecard": true, "scorecards": true,
	"session": true, "sessions": true, "pageview": true, "pageviews": true, "click": true, "clicks": true,
	"rep": true, "reps": true, "agent": true, "agents": true, "staff": true,
	"round": true, "rounds": true, "funding": true, "fundings": true, "acquisition": true, "acquisitions": true,
	"investor": true, "investors": true,
	"produto": true, "produtos": true, "producto": true, "productos": true, "produit": true, "produits": true,
	"prodotto": true, "prodotti": true, "artigo": true, "artigos": true, "articulo": true, "articulos": true,
	"envelope": true, "envelopes": true, "intent": true, "intents": true,
	"impression": true, "impressions": true, "channel": true, "channels": true, "workspace": true, "workspaces": true,
}

// billingSystems are billing and accounting systems (lower-case system
// names): the customers and contacts they keep are the accounts billed.
var billingSystems = map[string]bool{
	"stripe": true, "chargebee": true, "recurly": true, "paddle": true, "zuora": true, "chargify": true,
	"maxio": true, "xero": true, "quickbooks": true, "qbo": true, "freshbooks": true, "sage": true,
	"zoho_books": true, "zohobooks": true, "invoiced": true, "wave": true, "myob": true, "exact": true,
	"datev": true, "lexoffice": true, "sevdesk": true, "billwerk": true, "lago": true, "orb": true,
	"gocardless": true, "braintree": true, "razorpay": true, "mollie": true, "paystack": true, "recurly_": true,
	"bling": true, "omie": true, "contaazul": true, "conta_azul": true, "tiny": true, "tiny_erp": true, "alegra": true,
	"siigo": true, "facturama": true, "freee": true, "tally": true, "kingdee": true, "yonyou": true, "moneybird": true,
	"fortnox": true, "visma": true, "economic": true, "e-conomic": true, "tripletex": true, "fakturoid": true,
	"pennylane": true, "holded": true, "bexio": true, "exact_online": true,
}

// otherAccounts are words that, before "account", make it an account of
// another kind than a customer (a bank or ledger account, a user's
// login): such an object is outside the ontology.
var otherAccounts = map[string]bool{
	"financial": true, "finance": true, "bank": true, "banking": true, "ledger": true, "gl": true, "general": true,
	"email": true, "user": true, "service": true, "social": true, "ad": true, "ads": true, "advertising": true,
	"expense": true, "savings": true, "checking": true, "cash": true, "loan": true, "brokerage": true,
	"retirement": true, "investment": true, "chart": true, "payment": true, "merchant": true, "cloud": true,
}

// foreignPairs are two-word object names outside the ontology whose
// head alone would read as an entity: a credit note is not an activity's
// note, a purchase invoice is a bill to pay.
var foreignPairs = map[[2]string]bool{
	{"credit", "note"}: true, {"debit", "note"}: true, {"purchase", "invoice"}: true, {"vendor", "bill"}: true,
	{"supplier", "invoice"}: true, {"vendor", "invoice"}: true, {"vendor", "credit"}: true, {"payment", "intent"}: true,
	{"purchase", "order"}: true, {"expense", "report"}: true,
}

// payablesWords name the other side of payables documents.
var payablesWords = map[string]bool{
	"vendor": true, "vendors": true, "supplier": true, "suppliers": true, "payable": true, "payables": true,
	"creditor": true, "crediteur": true, "kreditor": true, "lieferant": true, "fournisseur": true, "proveedor": true,
	"fornecedor": true, "leverancier": true, "fornitore": true, "apaccount": true,
}

// contextWords lists, per entity, the concept words that merely repeat the
// object's own entity inside its field names ("AccountName" on an account,
// "CallDuration" on a call): they are dropped before scoring.
var contextWords = map[string][]string{
	"account":     {"account"},
	"contact":     {"contact"},
	"lead":        {"lead"},
	"opportunity": {"opportunity"},
	"activity":    {"activity", "task", "event", "call", "meeting"},
	"invoice":     {"invoice", "document"},
}

// alias is one way of naming an ontology field, in concept words, with
// the weight of that naming (1 = the field's own name).
type alias struct {
	words  []string
	weight float64
}

// fieldAliases holds the aliases shared by every entity's field of that
// name; targetAliases adds aliases for one "entity.field".
var fieldAliases = map[string]string{
	"id":                "|1; number|0.8; code|0.75",
	"name":              "name|1; fullname|0.9",
	"domain":            "domain|1; website|1",
	"industry":          "industry|1; sic|0.8; category|0.5",
	"employee_count":    "employees|1; headcount|1; employee|0.8",
	"annual_revenue":    "revenue|1; annual|0.6",
	"currency":          "currency|1",
	"country":           "country|1",
	"phone":             "phone|1; mobile|0.55",
	"owner_id":          "owner|1; user|0.8",
	"parent_account_id": "parent|1",
	"created_at":        "created|1",
	"updated_at":        "updated|1; system_updated|0.7",
	"account_id":        "account|1",
	"contact_id":        "contact|1",
	"opportunity_id":    "opportunity|1",
	"first_name":        "first_name|1; first|0.9",
	// The bare word for "name" is the family name in French and the given
	// name in Portuguese or Spanish: a weak alias for both, the values and
	// the one-to-one assignment decide.
	"last_name":        "last_name|1; name|0.58; last|0.9",
	"email":            "email|1",
	"title":            "title|1; position|0.95; role|0.7",
	"status":           "status|1; state|0.5",
	"source":           "source|1; lead_source|1",
	"company":          "account|1; account name|1",
	"stage":            "stage|1",
	"amount":           "amount|1; value|0.95; total|0.9; expected_revenue|0.6",
	"probability":      "probability|1; percent|0.6",
	"close_date":       "close|1",
	"is_closed":        "close|1",
	"is_won":           "won|1",
	"type":             "type|1; category|0.6",
	"subject":          "subject|1; title|0.85; summary|0.7",
	"occurred_at":      "|0.95; occurred|1; start|0.95; scheduled|0.9; due|0.8; created|0.55",
	"duration_minutes": "duration|1; length|0.7",
	"number":           "number|1; invoice number|1",
	"balance":          "balance|1; remaining|1; amount_due|0.75",
	"issued_at":        "issued|1; |0.9; created|0.7",
	"due_at":           "due|1",
	"paid_at":          "paid|1",
}

var targetAliases = map[string]string{
	"opportunity.name": "title|0.8; subject|0.7; description|0.7",
	// A deal's revenue is its amount (Oracle, Dynamics).
	"opportunity.amount": "revenue|0.7; price|0.75",
	// A company's size is its headcount.
	"account.employee_count": "size|0.75",
	// A meeting's or call's name is what it is about; lacking a subject,
	// so is its description.
	"activity.subject": "name|0.7; description|0.65",
	// Several CRMs call a deal's stage its status ("status_label").
	"opportunity.stage": "status|0.62",
	// A deal's won date is its close date.
	"opportunity.close_date": "won|0.8; expected end|0.8; due|0.7",
	"invoice.amount":         "total|1; amount_due|0.6",
	// An invoice's "name" is its number (Salesforce custom objects, Odoo).
	"invoice.number": "name|0.7",
	"lead.company":   "account|1",
	// A person's "parent customer" is the company it belongs to.
	"contact.account_id": "parent|0.8",
	// Elsewhere a "parent account" is the account a record belongs to.
	"opportunity.account_id": "parent|0.8",
	// Billing systems call the billed party a contact.
	"invoice.account_id": "contact|0.8; parent|0.8",
	// A person's bare "name" is the given name when the values are single
	// words (the values decide against full names).
	"contact.first_name": "name|0.6",
	"lead.first_name":    "name|0.6",
}

// parseAliases reads "a b|w; c|w" into aliases.
func parseAliases(spec string) []alias {
	var out []alias
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		words, w, _ := strings.Cut(part, "|")
		var weight float64 = 1
		if w != "" {
			weight = parseWeight(w)
		}
		out = append(out, alias{words: strings.Fields(words), weight: weight})
	}
	return out
}

func parseWeight(s string) float64 {
	var v, scale float64 = 0, 0
	for _, r := range s {
		switch {
		case r == '.':
			scale = 1
		case r >= '0' && r <= '9':
			v = v*10 + float64(r-'0')
			if scale > 0 {
				scale *= 10
			}
		}
	}
	if scale > 0 {
		v /= scale
	}
	return v
}
