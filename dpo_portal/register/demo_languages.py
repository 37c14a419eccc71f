# ruff: noqa: E501  (a glossary: one text and its translation a line)
"""Demo register content in both languages.

The demo loaders write their texts in English (the seeds' README gloss); each app keeps a
glossary of the same texts in Azerbaijani, worded as the seed policies word them, and builds the
``_en``/``_az`` values of a translated field with ``both()``.
"""

from django.conf import settings


def both(glossary, **texts):
    """``both(AZ, name="Contact data")`` -> ``{"name": "Əlaqə məlumatları", "name_az": ...,
    "name_en": "Contact data"}``. The plain column keeps the default-language value. A text
    missing from the glossary is an error of the demo data, not something to paper over."""
    values = {}
    for field, english in texts.items():
        azerbaijani = glossary[english] if english else ""
        values[f"{field}_en"] = english
        values[f"{field}_az"] = azerbaijani
        values[field] = (
            azerbaijani if settings.MODELTRANSLATION_DEFAULT_LANGUAGE == "az" else english
        )
    return values


REGISTER_AZ = {
    # AllAll Finance: categories (policy IT0101, section 4)
    "Basic identity data": "Əsas eyniləşdirmə məlumatları",
    "name, surname, birth date, sex": "ad, soyad, doğum tarixi, cins",
    "name, surname, sex": "ad, soyad, cins",
    "Personal code (FIN) and identity document": "Fərdi identifikasiya nömrəsi (FİN) və şəxsiyyət vəsiqəsi",
    "Contact data": "Əlaqə məlumatları",
    "phone number, e-mail, home address": "telefon nömrəsi, e-poçt, yaşayış ünvanı",
    "Recorded phone calls": "Telefon danışıqlarının səs yazıları",
    "every call is recorded": "hər zəng qeydə alınır",
    "Financial and employment data": "Maliyyə və məşğulluq məlumatları",
    "income, expenses, debts": "gəlirlər, xərclər, borclar",
    "Credit history": "Kredit tarixçəsi",
    "loans, payment delays": "kreditlər, ödəniş gecikmələri",
    "Employment": "Məşğulluq",
    "employment type, employer": "məşğulluq növü, işəgötürən",
    "Due-diligence data (PEP, beneficial owner)": "Müştərinin durumunun yoxlanılması məlumatları (siyasi xadim, benefisiar mülkiyyətçi)",
    "Payments and transfers": "Ödənişlər və köçürmələr",
    "bank account, payer identity": "bank hesabı, ödəyicinin kimliyi",
    "Device data": "Cihaz məlumatları",
    "device id, model, OS version, cookie id": "cihazın identifikatoru, modeli, ƏS versiyası, kuki identifikatoru",
    "Location data": "Məkan məlumatları",
    "Network data": "Şəbəkə məlumatları",
    "source IP address": "mənbə IP ünvanı",
    "Social-network presence": "Sosial şəbəkələrdə iştirak",
    "Other data given by the user or obtained from other sources": "İstifadəçinin təqdim etdiyi və ya digər mənbələrdən əldə edilən digər məlumatlar",
    # Qonshu app: categories (policy, section 2)
    "Electronic and telephone data": "Elektron və telefon məlumatları",
    "pages, device, IP, browser": "səhifələr, cihaz, IP, brauzer",
    "Personal and contact data": "Şəxsi və əlaqə məlumatları",
    "Identity data (FIN, ID card)": "Şəxsiyyət məlumatları (FİN, şəxsiyyət vəsiqəsi)",
    "e-mail, phone": "e-poçt, telefon",
    "Notification preferences": "Bildiriş seçimləri",
    "Account data": "Hesab məlumatları",
    "last login, account status, pages viewed": "son giriş, hesabın statusu, baxılan səhifələr",
    "Password data": "Şifrə məlumatları",
    "Transaction history": "Əməliyyat tarixçəsi",
    "cash-out operations": "nağdlaşdırma əməliyyatları",
    "Other voluntary data": "Könüllü təqdim edilən digər məlumatlar",
    "support messages, feedback, surveys": "dəstək mesajları, rəylər, sorğular",
    # subject types
    "Customer (borrower)": "Müştəri (borcalan)",
    "Potential customer": "Potensial müştəri",
    "Guarantor": "Zamin",
    "Resident (Sakin)": "Sakin",
    "Building commandant (Komendant)": "Bina komendantı",
    "Partner (building manager)": "Tərəfdaş (bina idarəçisi)",
    "Employee": "Əməkdaş",
    # sources
    "The user: applications, e-mail, phone, post, website": "İstifadəçi: müraciətlər, e-poçt, telefon, poçt, internet saytı",
    '"Azərbaycan Kredit Bürosu" MMC (AKB)': '"Azərbaycan Kredit Bürosu" MMC (AKB)',
    "ASAN service": "ASAN xidmət",
    "Tax authorities": "Vergi orqanları",
    "Social insurance": "Sosial sığorta",
    "Contracts with third parties": "Üçüncü şəxslərlə müqavilələr",
    "Debt-collection providers' databases": "Borcların alınması xidməti göstərənlərin məlumat bazaları",
    "Anti-fraud, AML/CFT screening systems": "Fırıldaqçılığa, ÇƏLYTMM-ə qarşı yoxlama sistemləri",
    "Remote identification on the website": "İnternet saytında məsafədən eyniləşdirmə",
    "Cookies": "Kukilər",
    "The user, through the Qonshu app": "İstifadəçi, Qonshu tətbiqi vasitəsilə",
    "The user's device and browser": "İstifadəçinin cihazı və brauzeri",
    # systems
    "Loan management system (core)": "Kreditlərin idarə edilməsi sistemi (əsas)",
    "CRM": "CRM",
    "Call recording": "Zənglərin səs yazısı",
    "Website and cookies": "İnternet saytı və kukilər",
    "AML/CFT screening": "ÇƏLYTMM yoxlaması",
    "Mobile app backend": "Mobil tətbiqin server hissəsi",
    "Support desk": "Dəstək xidməti",
    "Product analytics": "Məhsul analitikası",
    "Payments gateway": "Ödəniş şlüzü",
    # recipients
    "Employees and officers": "Əməkdaşlar və vəzifəli şəxslər",
    "Data-centre storage provider": "Məlumat mərkəzində saxlama xidməti göstərən",
    "ICT support provider": "İKT dəstək xidməti göstərən",
    "Cloud backup provider (Frankfurt)": "Bulud ehtiyat nüsxə xidməti göstərən (Frankfurt)",
    "Debt-collection agency": "Borcların alınması agentliyi",
    '"Azərbaycan Kredit Bürosu" MMC': '"Azərbaycan Kredit Bürosu" MMC',
    "Competent state bodies and officials": "Səlahiyyətli dövlət orqanları və vəzifəli şəxslər",
    "Other recipients entitled to receive the data": "Məlumatı almaq hüququ olan digər alıcılar",
    "Technical-support partner": "Texniki dəstək tərəfdaşı",
    "Payment systems": "Ödəniş sistemləri",
    "Building managers": "Bina idarəçiləri",
    "State bodies where the law requires": "Qanunun tələb etdiyi hallarda dövlət orqanları",
    "Law-enforcement bodies": "Hüquq-mühafizə orqanları",
}
