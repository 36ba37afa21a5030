"""The help page: the İYS FAQ (shared/reference/iys-faq-tr.txt) retold in the portal's own words.

Kept as data so the template stays simple and translators see each answer as one string.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Question:
    slug: str
    question: Promise
    answer: Promise


@dataclass(frozen=True)
class Section:
    title: Promise
    questions: tuple[Question, ...]


FAQ_SECTIONS: tuple[Section, ...] = (
    Section(
        _("Vatandaşlar için"),
        (
            Question(
                "onay-nedir",
                _("Onay ne demek?"),
                _("Bir işletmenin size SMS, arama veya e-posta ile tanıtım, kampanya ya da benzeri ticari ileti "
                  "gönderebilmesi için önceden izninizi alması gerekir. Bu izne onay denir. Kanun bu izni zorunlu "
                  "tutar; izin yoksa işletme size ticari ileti gönderemez."),
            ),
            Question(
                "neden-gormuyorum",
                _("Bana ileti gönderen bir işletmeyi listemde neden göremiyorum?"),
                _("İşletmeler ellerindeki eski onayları sisteme toplu olarak “beyan” ederek aktarabilir. Beyan "
                  "edilen onaylar, işletmenin büyüklüğüne göre belirlenen bir tarihten sonra listenizde görünür. "
                  "Örneğin 150.000 veya daha az onaylı adresi olan işletmeler 31 Mayıs 2021'e kadar beyan etti; bu "
                  "onaylar 1 Haziran 2021'den itibaren göründü ve 15 Temmuz 2021'e kadar incelenip reddedilebildi. "
                  "Listede henüz görünmeyen beyanlar varsa izinlerim sayfası hangi tarihte görüneceklerini yazar. "
                  "Hiç kaydı olmayan bir işletme ise size ticari ileti gönderemez."),
            ),
            Question(
                "inceleme-suresi",
                _("Beyan edilen bir onayı ne kadar süre inceleyip reddedebilirim?"),
                _("Beyan edilen onaylar listenizde “inceleme süresinde” etiketiyle ve son tarihiyle gösterilir. "
                  "Bu tarihe kadar reddetmezseniz onay geçerli sayılır. Son tarih geçtikten sonra da istediğiniz "
                  "zaman reddedebilirsiniz; ret hemen geçerli olur."),
            ),
            Question(
                "nasil-reddederim",
                _("İleti almak istemiyorum. Nasıl reddederim?"),
                _("İzinlerim sayfasında tek bir kanalı (SMS, arama, e-posta), bir markanın tüm kanallarını ya da "
                  "hepsini birden reddedebilirsiniz. Ayrıca her ticari iletide bir ret yolu bulunmak zorundadır: "
                  "ileti hangi kanaldan geldiyse ret de aynı kanaldan, kolayca ve ücretsiz yapılabilir (örneğin "
                  "iletideki ret bağlantısı veya {ret_number} numarasına kısa mesajla “RET marka kodu”)."),
            ),
            Question(
                "aramayla-ret",
                _("Beni arayan bir işletmeyi telefonla nasıl reddederim?"),
                _("Aranmak istemediğiniz numaradan {call_number} numaralı ret hattını arayın ve sesli yönlendirmeyle "
                  "arayan markanın kodunu tuşlayın; örneğin 700001. Aradığınız numara ret kaydına alıcı olarak "
                  "yazılır, ret o markanın sizi aramasını hemen durdurur ve hat sonucu size söyler. Marka kodu "
                  "markanın ret sayfasında ve izinlerim sayfasında yazar."),
            ),
            Question(
                "kisa-mesajla-ret",
                _("Kısa mesajla nasıl reddederim?"),
                _("“RET”, bir boşluk ve iletiyi gönderen markanın kodunu yazıp {ret_number} numarasına gönderin; "
                  "örneğin “RET 700001”. Marka kodu markanın ret sayfasında ve izinlerim sayfasında yazar. Bu ret, "
                  "o markanın size kısa mesaj göndermesini hemen durdurur ve size bir yanıt mesajı gelir."),
            ),
            Question(
                "kutlama-mesaji",
                _("Bayram kutlaması veya anket araması da izin gerektirir mi?"),
                _("Evet. Kutlama, tebrik ve iyi dilek mesajları da işletmeyi tanıtmaya yönelik olduğu için onay "
                  "gerektirir. Bilgilendirme mesajının ardından yapılan memnuniyet anketi aramaları için de önceden "
                  "onayınız alınmalıdır."),
            ),
            Question(
                "bayi-acente",
                _("Bir işletmeye verdiğim onay başka işletmeler için de geçerli mi?"),
                _("Hayır. Onay her işletme için ayrıdır. Tek istisna bayilik, acentelik veya özel yetkili işletme "
                  "sözleşmeleridir: bu durumda onay, yalnızca o sözleşmenin konusu olan marka, mal veya hizmetle "
                  "sınırlı olarak sözleşmenin diğer tarafı için de geçerlidir. Bir işletmenin tescilli markaları da "
                  "ayrı ayrı yönetilir; listenizde her markayı ayrı görürsünüz."),
            ),
            Question(
                "eposta",
                _("Kayıtlı olmadığım bir işletme bana e-posta gönderebilir mi?"),
                _("Hayır. E-posta da SMS ve arama gibi onay gerektirir; onayınız sistemde kayıtlı değilse işletme "
                  "size ticari e-posta gönderemez. Kaydı hiç bulunmayan bir adres “izin yok” demektir."),
            ),
        ),
    ),
    Section(
        _("İşletmeler için"),
        (
            Question(
                "basvuru",
                _("İşletmem sisteme nasıl katılır?"),
                _("İşletme hesabı kayıt kuruluşu tarafından açılır. Hesabınız açıldıktan sonra işletme portalından "
                  "markalarınızı, bayilerinizi ve izinlerinizi yönetebilirsiniz."),
            ),
            Question(
                "izin-ekleme",
                _("İzinlerimi sisteme nasıl eklerim?"),
                _("İşletme portalından tek tek, CSV dosyasıyla toplu olarak ya da İYS uyumlu API ile teknik "
                  "entegrasyon yoluyla ekleyebilirsiniz. Yeni alınan bir onay, alındığı tarihten itibaren üç iş günü "
                  "içinde kaydedilmelidir."),
            ),
            Question(
                "beyan",
                _("Eski onaylarım için imzalı form yüklemem gerekir mi?"),
                _("Hayır. Beyan döneminde eski onaylar belge yüklenmeden “beyan” usulüyle aktarılır. Büyük "
                  "işletmeler (150.000'den fazla onaylı adres) için son beyan günü 31 Aralık 2020, diğerleri için "
                  "31 Mayıs 2021 idi. Süresinde aktarılmayan onaylar geçersizdir; alıcıdan yeniden onay alınması "
                  "gerekir."),
            ),
            Question(
                "ret-kayitlari",
                _("Ret kayıtlarını da yüklemem gerekir mi?"),
                _("Başlangıçta hayır: yalnızca onaylı adresler yüklenir, kaydı olmayan adres zaten ret anlamına "
                  "gelir. Ancak size kendi kanallarınızdan ulaşan ret bildirimlerini üç iş günü içinde sisteme "
                  "bildirmeniz gerekir."),
            ),
            Question(
                "ret-imkani",
                _("Alıcılara ret imkânını nasıl sunmalıyım?"),
                _("Her ticari iletide alıcının ücretsiz ve kolayca ret bildirebileceği bir yol bulunmalıdır: bir "
                  "müşteri hizmetleri numarası, kısa mesaj numarası veya yalnızca ret için ayrılmış bir bağlantı. "
                  "Ret, iletinin geldiği kanaldan yapılabilmelidir."),
            ),
            Question(
                "eposta-sorgulama",
                _("E-posta göndermeden önce izin sorgulamak zorunlu mu?"),
                _("Aracı hizmet sağlayıcılar için e-posta kanalında sorgulama zorunlu değildir; ancak işletme "
                  "yine yalnızca onaylı alıcılara e-posta gönderebilir. Dilerseniz gönderim öncesinde izin "
                  "durumunu API ile sorgulayabilirsiniz."),
            ),
        ),
    ),
)


def faq_sections(*, ret_number: str, call_number: str) -> tuple[Section, ...]:
    """The FAQ with this deployment's RET short number and rejection line written into the answers (still lazy)."""
    return tuple(
        replace(
            section,
            questions=tuple(
                replace(q, answer=format_lazy(q.answer, ret_number=ret_number, call_number=call_number)) for q in section.questions
            ),
        )
        for section in FAQ_SECTIONS
    )
