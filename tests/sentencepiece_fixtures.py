"""A small multilingual corpus and tiny SentencePiece models trained on it."""

import gzip
import io

import pytest
import sentencepiece as spm

from xlm_keras.models import train_tokenizer

# Five scripts: Latin (with diacritics), Cyrillic, Han, Arabic and Hebrew
# (right to left), Devanagari; emoji sprinkled in.
SENTENCES = {
    "en": [
        "Hello world!",
        "The quick brown fox jumps over the lazy dog.",
        "This is a small test of the tokenizer.",
        "We train a tiny model on a few sentences.",
        "Cross-lingual models share one vocabulary.",
        "The weather is nice today, isn't it?",
        "I like pizza 🍕 and parties 🎉.",
        "Numbers like 42 and 2024 appear in text.",
        "She reads a book in the garden every morning.",
        "Language models learn from large amounts of text.",
        "Where is the train station, please?",
        "My friend lives in a house near the river.",
        "Translation pairs help models align languages.",
        "The cat sleeps on the warm window sill.",
        "Good morning, how are you doing?",
        "Music and art bring people together 😀.",
    ],
    "fr": [
        "Bonjour le monde !",
        "Ceci est un petit test du tokeniseur.",
        "Le café est très chaud ce matin.",
        "Nous entraînons un modèle sur quelques phrases.",
        "Où est la gare, s'il vous plaît ?",
        "Mon ami habite une maison près de la rivière.",
        "Les modèles multilingues partagent un vocabulaire.",
        "Elle lit un livre dans le jardin chaque matin.",
        "Il fait beau aujourd'hui, n'est-ce pas ?",
        "Le chat dort sur le rebord de la fenêtre.",
        "J'aime la musique et l'art 🎉.",
        "Les élèves étudient à l'école après le déjeuner.",
        "Un garçon naïf a écrit son résumé.",
        "La forêt est pleine d'arbres et d'oiseaux.",
        "Nous allons à la plage en été.",
        "Ça va très bien, merci beaucoup !",
    ],
    "ru": [
        "Привет, мир!",
        "Это маленький тест токенизатора.",
        "Мы обучаем крошечную модель на нескольких предложениях.",
        "Где находится вокзал, пожалуйста?",
        "Мой друг живёт в доме у реки.",
        "Многоязычные модели используют общий словарь.",
        "Она читает книгу в саду каждое утро.",
        "Сегодня хорошая погода, не правда ли?",
        "Кошка спит на тёплом подоконнике.",
        "Я люблю музыку и искусство 🎵.",
        "Студенты учатся в университете.",
        "Зимой в лесу очень тихо и холодно.",
        "Москва является столицей России.",
        "Доброе утро, как у тебя дела?",
        "Мы пьём чай с вареньем вечером.",
        "Дети играют во дворе после школы.",
    ],
    "zh": [
        "你好，世界！",
        "这是一个分词器的小测试。",
        "我们在几个句子上训练一个小模型。",
        "请问火车站在哪里？",
        "我的朋友住在河边的房子里。",
        "多语言模型共享一个词表。",
        "她每天早上在花园里看书。",
        "今天天气很好，不是吗？",
        "猫在温暖的窗台上睡觉。",
        "我喜欢音乐和艺术🎶。",
        "学生们在大学里学习。",
        "冬天的森林非常安静和寒冷。",
        "北京是中国的首都。",
        "早上好，你最近怎么样？",
        "我们晚上一起喝茶。",
        "孩子们放学后在院子里玩。",
    ],
    "ar": [
        "مرحبا بالعالم!",
        "هذا اختبار صغير للمقسم.",
        "نحن ندرب نموذجا صغيرا على بضع جمل.",
        "أين محطة القطار من فضلك؟",
        "صديقي يعيش في بيت قرب النهر.",
        "النماذج متعددة اللغات تشترك في مفردات واحدة.",
        "هي تقرأ كتابا في الحديقة كل صباح.",
        "الطقس جميل اليوم، أليس كذلك؟",
        "القطة تنام على حافة النافذة الدافئة.",
        "أحب الموسيقى والفن 🌙.",
        "الطلاب يدرسون في الجامعة.",
        "الغابة هادئة جدا في الشتاء.",
        "القاهرة هي عاصمة مصر.",
        "صباح الخير، كيف حالك؟",
        "نشرب الشاي معا في المساء.",
        "الأطفال يلعبون في الساحة بعد المدرسة.",
    ],
    "he": [
        "שלום עולם!",
        "זה מבחן קטן של המפרק.",
        "אנחנו מאמנים מודל קטן על כמה משפטים.",
        "איפה תחנת הרכבת, בבקשה?",
        "החבר שלי גר בבית ליד הנהר.",
        "מודלים רב לשוניים חולקים אוצר מילים אחד.",
        "היא קוראת ספר בגינה כל בוקר.",
        "מזג האוויר יפה היום, נכון?",
        "החתול ישן על אדן החלון החם.",
        "אני אוהב מוזיקה ואמנות 🎨.",
        "הסטודנטים לומדים באוניברסיטה.",
        "היער שקט מאוד בחורף.",
        "ירושלים היא עיר עתיקה.",
        "בוקר טוב, מה שלומך?",
        "אנחנו שותים תה יחד בערב.",
        "הילדים משחקים בחצר אחרי בית הספר.",
    ],
    "hi": [
        "नमस्ते दुनिया!",
        "यह टोकनाइज़र का एक छोटा परीक्षण है।",
        "हम कुछ वाक्यों पर एक छोटा मॉडल सिखाते हैं।",
        "कृपया बताइए रेलवे स्टेशन कहाँ है?",
        "मेरा दोस्त नदी के पास एक घर में रहता है।",
        "बहुभाषी मॉडल एक ही शब्दावली साझा करते हैं।",
        "वह हर सुबह बगीचे में किताब पढ़ती है।",
        "आज मौसम अच्छा है, है ना?",
        "बिल्ली गर्म खिड़की पर सोती है।",
        "मुझे संगीत और कला पसंद है 🪔।",
        "छात्र विश्वविद्यालय में पढ़ते हैं।",
        "सर्दियों में जंगल बहुत शांत होता है।",
        "दिल्ली भारत की राजधानी है।",
        "सुप्रभात, आप कैसे हैं?",
        "हम शाम को साथ में चाय पीते हैं।",
        "बच्चे स्कूल के बाद आँगन में खेलते हैं।",
    ],
}
LANGUAGES = sorted(SENTENCES)
# Texts to compare ids on: every script, RTL, emoji, a combining accent
# (NFKC composes it), an unseen character (<unk>), spacing, the empty string.
PROBE_TEXTS = [
    "Hello world!",
    "Bonjour le monde, ça va ?",
    "Привет, мир!",
    "你好，世界！北京",
    "مرحبا بالعالم!",
    "שלום עולם!",
    "नमस्ते दुनिया!",
    "I like pizza 🍕 and 😀",
    "cafe\u0301 e\u0301cole",
    "unseen ꙮ character",
    "  extra   spaces  ",
    "",
]
VOCABULARY_SIZE = 400


@pytest.fixture(scope="session")
def corpora(tmp_path_factory):
    """dict language -> [path]: one text file per language, `en` gzipped."""
    directory = tmp_path_factory.mktemp("corpus")
    files = {}
    for code, lines in SENTENCES.items():
        text = "\n".join(lines) + "\n"
        if code == "en":
            path = directory / "en.txt.gz"
            path.write_bytes(gzip.compress(text.encode("utf-8")))
        else:
            path = directory / f"{code}.txt"
            path.write_text(text, encoding="utf-8")
        files[code] = [str(path)]
    return files


@pytest.fixture(scope="session")
def native_preset(corpora, tmp_path_factory):
    """A tokenizer preset directory written by `train_tokenizer`."""
    directory = tmp_path_factory.mktemp("native") / "tokenizer"
    train_tokenizer(corpora, str(directory), VOCABULARY_SIZE, character_coverage=1.0, seed=0)
    return str(directory)


@pytest.fixture(scope="session")
def native_model_file(native_preset):
    return f"{native_preset}/assets/tokenizer/vocabulary.spm"


@pytest.fixture(scope="session")
def fairseq_model_dir(tmp_path_factory):
    """A directory with an XLM-R-layout `sentencepiece.bpe.model`
    (`<unk>`=0, `<s>`=1, `</s>`=2, SentencePiece's defaults)."""
    directory = tmp_path_factory.mktemp("fairseq")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=(line for lines in SENTENCES.values() for line in lines),
        model_writer=model,
        vocab_size=VOCABULARY_SIZE,
        character_coverage=1.0,
        minloglevel=2,
    )
    (directory / "sentencepiece.bpe.model").write_bytes(model.getvalue())
    return str(directory)


@pytest.fixture(scope="session")
def fairseq_model_file(fairseq_model_dir):
    return f"{fairseq_model_dir}/sentencepiece.bpe.model"
