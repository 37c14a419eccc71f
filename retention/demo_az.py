"""The retention demo's rule names and legal references in Azerbaijani (see
dpo_portal/register/demo_languages.py)."""

RETENTION_AZ = {
    "AML/CFT customer due diligence": "ÇƏLYTMM üzrə müştərinin durumunun yoxlanılması",
    "Law on the prevention of the legalisation of criminally obtained property and the financing "
    "of terrorism, art. 13: at least 5 years after the business relationship ends": (
        "Cinayət yolu ilə əldə edilmiş pul vəsaitlərinin və ya digər əmlakın leqallaşdırılmasına "
        "və terrorçuluğun maliyyələşdirilməsinə qarşı mübarizə haqqında Qanun, maddə 13: işgüzar "
        "münasibətlər bitdikdən sonra ən azı 5 il"
    ),
    "Customer identification (AML/CFT)": "Müştərinin eyniləşdirilməsi (ÇƏLYTMM)",
    "Payment and accounting records": "Ödəniş və mühasibat uçotu sənədləri",
    "Tax Code of the Republic of Azerbaijan, art. 71.4: 5 years": (
        "Azərbaycan Respublikasının Vergi Məcəlləsi, maddə 71.4: 5 il"
    ),
    "Claims and debt collection": "İddialar və borcların alınması",
    "Civil Code, art. 373: limitation period (10 years for claims on contracts)": (
        "Mülki Məcəllə, maddə 373: iddia müddəti (müqavilə üzrə tələblər üçün 10 il)"
    ),
    "Loan contracts": "Kredit müqavilələri",
    "Civil Code, art. 373: limitation period (6 years)": (
        "Mülki Məcəllə, maddə 373: iddia müddəti (6 il)"
    ),
    "Direct marketing on consent": "Razılıq əsasında birbaşa marketinq",
    "Law on Personal Data, art. 8: consent, until withdrawn (policy 9.3)": (
        "Fərdi məlumatlar haqqında Qanun, maddə 8: razılıq, geri götürülənədək (siyasət 9.3)"
    ),
    "Recorded calls": "Zənglərin səs yazıları",
    "Policy 5.1 l): call-quality evidence, 1 year": (
        "Siyasət 5.1 l): zənglərin keyfiyyətinə dair sübut, 1 il"
    ),
    "Customer data (default)": "Müştəri məlumatları (standart)",
    "Policy 5.2: as long as the purposes need, no longer than the law allows": (
        "Siyasət 5.2: məqsədlər tələb etdiyi müddətcə, qanunun icazə verdiyindən artıq deyil"
    ),
    "App account after closure": "Bağlandıqdan sonra tətbiq hesabı",
    "Policy 3.6 and 7.1: deleted when the account closes; kept 1 year for disputes (7.1.1)": (
        "Siyasət 3.6 və 7.1: hesab bağlandıqda silinir; mübahisələr üçün 1 il saxlanılır (7.1.1)"
    ),
    "Identity data after closure": "Bağlandıqdan sonra şəxsiyyət məlumatları",
    "Policy 7.1: deleted after the account is closed": (
        "Siyasət 7.1: hesab bağlandıqdan sonra silinir"
    ),
    "Cash-out transactions": "Nağdlaşdırma əməliyyatları",
    "News and offers on consent": "Razılıq əsasında xəbərlər və təkliflər",
    "Law on Personal Data, art. 8: consent, until withdrawn": (
        "Fərdi məlumatlar haqqında Qanun, maddə 8: razılıq, geri götürülənədək"
    ),
    "Product analytics": "Məhsul analitikası",
    "Policy 3.2.2: statistics and analytics": "Siyasət 3.2.2: statistika və analitika",
    "User data (default)": "İstifadəçi məlumatları (standart)",
    "Policy 3.6: kept only while the services and purposes run": (
        "Siyasət 3.6: yalnız xidmətlər və məqsədlər davam etdikcə saxlanılır"
    ),
}
