from django import forms


class PasswordForm(forms.Form):
    email = forms.EmailField(max_length=254)
    password = forms.CharField(max_length=4096, widget=forms.PasswordInput)


class CodeForm(forms.Form):
    code = forms.CharField(max_length=64, label="Code (authenticator app or recovery code)")
