"""Words that stand right before or after a person's name in many languages (issue 15, round 14).

Why: hand-written text (seen fresh10) puts a greeting, a title of address, a role or a verb of
contact right before a name, capitalised like the name itself: "G'day Bronwyn", "Alhaji Musa
Danjuma", "Pani Agnieszko", "Sayın Emre Kaya", "Recipient Shane Kowalski", "Сотрудник Волков
Андрей". The name rules of :mod:`labkit.controls.pii_names` read a run of capitalised words and
took the cue word into the span (a miss and a false span at once), or, for an everyday cue word,
dropped the run. Languages written without letter case put an honorific after the name ("张伟先生",
"최영호 팀장님", "सुनीता शर्मा जी") or a role word before it ("收件人刘芳", "수령인: 한지민").

What it holds (general knowledge of how each language addresses and introduces people, written
for this module; no word is taken from a PII set):

- :data:`LEAD_WORDS`: greetings, titles of address, roles and verbs of contact in 20 languages,
  folded to lower-case ASCII as :func:`fold` folds a word of the Latin view (Cyrillic and Greek
  arrive transliterated there), so one comparison serves every script the view reads;
- :data:`CASELESS_BEFORE` / :data:`CASELESS_AFTER`: role words before and honorifics after a name
  in Chinese, Japanese, Korean, Arabic and Hindi;
- :data:`SIGN_OFFS`: the closing formulas after which a letter's last line is its writer's name.

Example:
    >>> fold("Сотрудник"), "sotrudnik" in LEAD_WORDS
    ('sotrudnik', True)
"""

from __future__ import annotations

import re

from anyascii import anyascii

_APOSTROPHES = re.compile(r"['’ʹʼ`]")


def fold(word: str) -> str:
    """``word`` in lower-case ASCII without apostrophes ("G'day" -> "gday", "Сотрудник" -> "sotrudnik")."""
    return _APOSTROPHES.sub("", anyascii(word)).lower()


_GREETINGS = """
hi hello hey hiya howdy gday yo morning evening afternoon dear greetings
hallo liebe lieber moin servus gruezi gruessgott gruss
bonjour bonsoir salut coucou cher chere
hola buenas buenos querido querida estimado estimada estimados
ciao salve caro cara gentile gentilissimo gentilissima egregio egregia
ola oi prezado prezada
hej hejsa hoi beste geachte
witam czesc szanowny szanowna szanowni drogi droga
merhaba selam sevgili
halo hai selamat
chao kinh
привет здравствуйте здравствуй уважаемый уважаемая дорогой дорогая
γεια αγαπητε αγαπητη
hei moi terve hyva kaere kjaere kaera kedves tisztelt szia ahoj vazeny vazena
buna stimate stimata habari jambo hujambo mpendwa sawubona kumusta assalamualaikum
"""
_TITLES_OF_ADDRESS = """
alhaji alhaja chief engr barr pastor imam sheikh sheikha
herrn mevrouw meneer mevr dhr heer fru frk froken
pan pani panie panu panstwo
bay bayan sayın
bapak pak ibu bu mbak mas kak
si ate kuya ginoo gng
senhor senhora srta don dona dott dottore dottoressa avv
ong ba
господин госпожа г-н г-жа г-ѓа г-ца
κυριος κυρια
cllr rev hon atty maam
encik puan cik datuk dato bi ndugu mzee aling mang
domnul doamna herra rouva
grandma grandpa granny uncle aunt auntie onkel tante oma opa tonton tio nonno oom
"""
_ROLES = """
recipient customer client caller cardholder employee applicant tenant patient consignee addressee
mitarbeiter mitarbeiterin kunde kundin empfanger empfangerin assistentin assistent nachbar nachbarn
ansprechpartner ansprechpartnerin personalakte
werknemer medewerker medewerkster klant ontvanger
destinataire salarie salariee
destinatario destinataria empleado empleada dipendente funcionario funcionaria colaborador colaboradora
pracownik pracownica klientka odbiorca
musteri alici calisan
karyawan pelanggan penerima nasabah
сотрудник сотрудница получатель получательница клиент клиентка
asiakas tyontekija vastaanottaja kund mottagare modtager mottaker ugyfel cimzett munkatars
zakaznik zakaznice prijemce zamestnanec zamestnankyne angajat angajata destinatar mteja mpokeaji kliyente
plaintiff defendant claimant respondent petitioner spouse familie fam
shri shrimati smt kumari chi
sohn tochter ehemann ehefrau daughter husband wife dochter fille epoux epouse hija esposo esposa figlia marito
moglie filha
"""
_CONTACT_VERBS = """
met called phoned rang emailed ring text ask tell
ketemu ruckruf appeler contacter llamar chiamare ligar bellen
звонил звонила позвонить
apel телефонував телефонувала дзвонив дзвонила
"""

# folded, so "Сотрудник" in the Latin view ("Sotrudnik") and "Grüezi" ("Gruezi") both match
LEAD_WORDS: frozenset[str] = frozenset(
    fold(w) for block in (_GREETINGS, _TITLES_OF_ADDRESS, _ROLES, _CONTACT_VERBS) for w in block.split())
# the subset that makes the words after it a name by itself (a title of address or a role);
# after a greeting or a verb the rest must still look like a name
TITLE_WORDS: frozenset[str] = frozenset(fold(w) for block in (_TITLES_OF_ADDRESS, _ROLES) for w in block.split())

# the greetings: a short run after one, closed by a comma, "!" or the line's end, is a name ("Beste Maarten,")
GREETING_WORDS: frozenset[str] = frozenset(fold(w) for w in _GREETINGS.split())

def label_key(word: str) -> str:
    """How :data:`FORM_LABELS` holds ``word``: folded like LEAD_WORDS when its script has letter case
    (or is Latin), as written otherwise (folded, Arabic or Hebrew letters lose their vowels and
    collide with names: "أسماء" and "اسم" would both be "sm")."""
    return word if all(c.upper() == c.lower() for c in word if c.isalpha()) else fold(word)


# Form labels: the words a form, a CSV header or a record puts before a person's data (name, first
# name, surname, address, phone, e-mail, birth date, an id or account number), in the languages the
# other lists cover and in scripts without letter case. A name span made of nothing else is the
# label, not a name ("Navn: Freja", "Nimi:", "שם מלא:", "อีเมล", "Aadhaar").
FORM_LABELS: frozenset[str] = frozenset(label_key(w) for w in """
name names fullname surname firstname lastname forename forenames address addresses postcode zipcode
phone mobile telephone email e-mail birthdate birthday signature account
navn fornavn efternavn etternavn adresse postnummer telefon mobil epost e-post fodselsdato kontonummer
nimi etunimi sukunimi osoite postinumero puhelin matkapuhelin sahkoposti syntymaaika tilinumero henkilotunnus
namn efternamn fodelsedatum personnummer
naam voornaam achternaam adres geboortedatum
vorname nachname anschrift geburtsdatum
nom prenom adresse courriel
nombre apellido apellidos direccion correo nacimiento domicilio
nome cognome indirizzo nascita
endereco morada
imie nazwisko adres
jmeno prijmeni adresa bydliste
nev cim lakcim szuletesi szamlaszam
nume prenume adresa cont
isim ad adi soyad soyadi soyadı adres
nama alamat tarikh
jina anwani simu barua pepe

pangalan apelyido tirahan kaarawan
имя фамилия отчество фио адрес телефон почта імя прізвище піб адреса пошта
ονομα επωνυμο ονοματεπωνυμο διευθυνση τηλεφωνο
aadhaar ssn cpf bsn pesel iban nif nie dni rfc curp
שם מלא כתובת טלפון אימייל דואל
نام و خانوادگی نشانی آدرس تلفن ایمیل جدید الاسم العنوان الهاتف البريد
ชื่อ ที่อยู่ อีเมล โทร เบอร์
नाम पता ईमेल फ़ोन फोन মেইল ইমেইল নাম ঠিকানা பெயர் முகவரி மின்னஞ்சல்
地址 姓名 电话 邮箱 住所 氏名 メール 이메일 주소 이름 연락처 변경 새
""".split())

# Words a greeting addresses a group with (colleagues, team, everyone, friends, customers): "Kedves
# Kollégák!", "Hyvät kollegat,", "Drazí kolegové": no person's name, folded like FORM_LABELS.
GROUP_WORDS: frozenset[str] = frozenset(label_key(w) for w in """
team all everyone colleagues friends folks customers
kollegen kolleginnen alle freunde kunden collegues equipe tous amis clients colegas equipo todos amigos
colleghi colleghe tutti amici collegas collega's iedereen kolleger kollegaer alle venner kollegat kaikki ystavat
kollegak mindenki baratok kolegove kolegyne kolegowie wszyscy colegi toti prieteni wenzangu wote kasamahan
rakan semua коллеги друзья все колеги συναδελφοι ολοι meslektaslar ekip herkes arkadaslar
כולם לכולם חברים צוות الجميع للجميع الزملاء الفريق همه همکاران دوستان सभी साथियों दोस्तों সবাই সবাইকে
அனைவருக்கும் அனைவரும் ทุกคน
""".split())

# Polite pronouns written with a capital inside a sentence (German Sie/Ihnen/Ihr…, Dutch Uw, Spanish
# Usted, Indonesian Anda, Russian Вы/Вас/Вам as the Latin view writes them): no name, wherever they stand.
CAPITAL_PRONOUNS: frozenset[str] = frozenset("""
sie ihnen ihr ihre ihren ihrem ihrer ihres du dich dir dein deine deinen deinem deiner euch euer eure
uw usted ustedes vous anda kamu kami kita beliau
vy vas vam vami
""".split())

# Greetings and verbs of contact that may stand before a name written in lower case in a chat
# ("hey shazza here", "yo tyler", "called brenda o'neal", "mit lukas gesprochen"), as written.
LOWER_CUES: frozenset[str] = frozenset("""
hi hey hiya yo hello called call ask tell cc ping from with thanks thx
hallo hoi ciao oye hola salut coucou mit avec con met
""".split())

# Role words before a name in scripts without letter case, the ones that designate one person
# (recipient, consignee, contact person, person in charge, applicant) and titles glued to a
# preposition; not class nouns such as "customer" or "employee", which are followed by everyday words
# as often as by a name ("客户服务", "الموظف المسؤول"): Chinese, Japanese, Korean, Arabic, Hindi.
CASELESS_BEFORE: tuple[str, ...] = (
    "收件人", "收货人", "联系人", "对接人", "负责人", "申请人", "经办人",                        # Chinese
    "担当", "担当者", "受取人", "申請者",                                                      # Japanese
    "수령인", "받는 분", "담당자", "신청인", "보호자",                                           # Korean
    "المستلم", "المستلمة", "بالسيد", "بالسيدة",                                               # Arabic
    "प्राप्तकर्ता", "आदरणीय", "प्रिय",                                                          # Hindi
)
# Honorifics and job titles written right after a name: Chinese, Japanese, Korean, Hindi (not 总, 老师,
# 同学: they also end everyday words at the start of a sentence, "总结", "数学老师").
CASELESS_AFTER: tuple[str, ...] = (
    "先生", "女士", "小姐", "经理",                                                            # Chinese
    "様", "さま", "さん", "くん", "ちゃん", "部長", "課長", "社長", "先生",                         # Japanese
    "님", "씨", "팀장님", "팀장", "과장님", "과장", "부장님", "대리", "사원", "선생님",                # Korean
    "जी",                                                                                    # Hindi
)

# Closing formulas of a letter, e-mail or chat message in the cased scripts, folded, without their
# comma: the next line, when it holds one to three capitalised words and nothing else, is the writer's
# name ("Kind regards\nLerato", "Mvh\nRasmus", "Un saludo,\nIñaki"). General knowledge, round 15.
LATIN_SIGN_OFFS: frozenset[str] = frozenset(fold(w) for w in """
thanks|thank you|many thanks|thanks a lot|thanks a mil|thanks so much|thanks again|thanks po|cheers|ta|regards
kind regards|best regards|warm regards|warmest regards|best wishes|best|all the best|sincerely|yours sincerely
yours faithfully|yours truly|yours|respectfully|love|take care|speak soon|talk soon|br|kr|rgds
mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|viele grüße|liebe grüße|lg|vg|grüße|gruß|beste grüße
cordialement|bien cordialement|bien à vous|salutations|amitiés|bisous|merci|bonne journée
un saludo|saludos|saludos cordiales|atentamente|un abrazo|gracias|muchas gracias
cordiali saluti|distinti saluti|saluti|grazie|un saluto|a presto
abs|abraços|atenciosamente|obrigado|obrigada|cumprimentos|att
met vriendelijke groet|vriendelijke groet|groeten|groetjes|mvg|hartelijke groet
pozdrawiam|z poważaniem|dziękuję|s pozdravem|děkuji|s pozdravom|üdvözlettel|üdv|köszönöm|tisztelettel
cu stimă|cu respect|mulțumesc|toate cele bune
mvh|med venlig hilsen|venlig hilsen|hilsen|med vennlig hilsen|vennlig hilsen|med vänliga hälsningar|hälsningar|vänliga hälsningar|tack
kiitos|terveisin|ystävällisin terveisin|parhain terveisin
terima kasih|salam|hormat saya|wassalam|iyi çalışmalar|saygılarımla|teşekkürler|kolay gelsin
asante|salamu|maraming salamat|salamat po|salamat
с уважением|спасибо|всего доброго|з повагою|дякую|με εκτίμηση|ευχαριστώ|φιλικά
""".replace("\n", "|").split("|") if w.strip())

# Closing formulas of a letter or e-mail in scripts without letter case; the next non-empty line, when
# short and written in such a script, is the writer's name (cased scripts have the Latin rules).
SIGN_OFFS: tuple[str, ...] = (
    "此致", "敬礼", "谢谢", "よろしくお願いいたします", "よろしくお願いします", "以上",
    "감사합니다", "드림", "مع التحية", "مع خالص التحية", "شكرا", "وتفضلوا بقبول فائق الاحترام",
    "धन्यवाद", "सादर",
    # round 16: Hebrew, Persian, Arabic, Hindi, Bengali, Tamil, Thai, Chinese, Japanese closings
    "בברכה", "בתודה", "תודה", "בכבוד רב", "با سپاس", "با تشکر", "با احترام", "ارادتمند", "مع أطيب التحيات",
    "تحياتي", "भवदीय", "शुभकामनाओं सहित", "ধন্যবাদ", "ধন্যবাদান্তে", "শুভেচ্ছান্তে", "বিনীত", "நன்றி", "அன்புடன்",
    "இப்படிக்கு", "ขอแสดงความนับถือ", "ด้วยความเคารพ", "ขอบคุณครับ", "ขอบคุณค่ะ", "ขอบคุณ", "祝好", "敬具",
)
